package io.caravan.compile.idempotency;

import io.caravan.compile.Runs;
import io.caravan.template.Template;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;

/**
 * The idempotency key of one run: the workflow's key template rendered over the run context the
 * trigger's start processor built. Message values are data here too: the rendered text is the
 * key, never evaluated further.
 */
final class KeyExpression implements Expression {

    private final Template template;

    KeyExpression(Template template) {
        this.template = template;
    }

    @Override
    public <T> T evaluate(Exchange exchange, Class<T> type) {
        // a missing value fails the run (TEMPLATE_VALUE_MISSING) like any template would
        return type.cast(template.render(Runs.of(exchange)));
    }

    @Override
    public String toString() {
        return "idempotency key " + template.text();
    }
}
