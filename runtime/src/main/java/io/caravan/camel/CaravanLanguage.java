package io.caravan.camel;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.compile.Runs;
import io.caravan.compile.errors.Failures;
import io.caravan.template.Condition;
import io.caravan.template.MissingValueException;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
import io.caravan.template.TemplateException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Predicate;
import org.apache.camel.support.ExpressionAdapter;
import org.apache.camel.support.LanguageSupport;

/**
 * Caravan's templates and conditions as a Camel language, {@code caravan}: an expression is a
 * template ({@code '{"id": "${input.id}"}'}), a predicate a condition
 * ({@code ${input.amount} >= 1000}), which may also ask {@code ran(<node>)} and
 * {@code failed(<node>)}. A predicate may instead be one of the failure predicates a workflow's
 * error handling uses ({@code retry(<node>, <CODE>...)}, {@code failedIn(<node>...)},
 * {@code deadLetter(own|default)}, {@code handled(reply|none|own|default)}: {@link Failures#predicate}). In Camel YAML DSL:
 * {@code setBody: {expression: {language: {language: caravan, expression: "..."}}}}.
 *
 * <p>References are written {@code ${...}} here, not {@code {{...}}} as in a workflow: Camel reads
 * every {@code {{...}}} in a route's expressions as a property placeholder before a language sees
 * it. {@link #camelText} turns a workflow's template into this form ({@code $${} stands for a
 * literal {@code ${}).
 *
 * <p>They read the workflow run on the exchange; on an exchange that has none (a hand-written
 * route) they read the message: {@code {{input}}} is the body (parsed when it is JSON) and
 * {@code {{trigger.headers.x}}} a header. A value that is missing fails with
 * TEMPLATE_VALUE_MISSING naming the node that is running. Values from messages are never
 * evaluated, as everywhere in Caravan.
 */
public final class CaravanLanguage extends LanguageSupport {

    public static final String NAME = "caravan";

    /** A workflow's template or condition as this language's text: {@code {{ref}}} becomes {@code ${ref}}. */
    public static String camelText(String caravanText) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < caravanText.length()) {
            int close;
            if (caravanText.startsWith("{{", i) && (close = caravanText.indexOf("}}", i + 2)) > 0) {
                out.append("${").append(caravanText, i + 2, close).append('}');
                i = close + 2;
            } else if (caravanText.startsWith("${", i)) {
                out.append("$${");
                i += 2;
            } else {
                out.append(caravanText.charAt(i++));
            }
        }
        return out.toString();
    }

    /** A workflow's template or condition as an expression of this language, for a compiled route. */
    public static org.apache.camel.model.language.LanguageExpression expression(String caravanText) {
        return new org.apache.camel.model.language.LanguageExpression(NAME, camelText(caravanText));
    }

    /** This language's text as a workflow's template: the inverse of {@link #camelText}. */
    static String caravanText(String camelText) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < camelText.length()) {
            int close;
            if (camelText.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (camelText.startsWith("${", i) && (close = camelText.indexOf('}', i + 2)) > 0) {
                out.append("{{").append(camelText, i + 2, close).append("}}");
                i = close + 1;
            } else {
                out.append(camelText.charAt(i++));
            }
        }
        return out.toString();
    }

    @Override
    public Expression createExpression(String camelText) {
        String text = caravanText(camelText);
        Template template = parse(() -> Template.parse(text), text);
        return new ExpressionAdapter() {
            @Override
            public Object evaluate(Exchange exchange) {
                return evaluating(exchange, () -> template.renderValue(runOf(exchange)));
            }

            @Override
            public String toString() {
                return "caravan:" + text;
            }
        };
    }

    @Override
    public Predicate createPredicate(String camelText) {
        Predicate failure = parse(() -> Failures.predicate(camelText.trim()), camelText);
        if (failure != null) {
            return failure;
        }
        String text = caravanText(camelText);
        Condition condition = parse(() -> Condition.parseWithRunState(text), text);
        return new Predicate() {
            @Override
            public boolean matches(Exchange exchange) {
                return evaluating(exchange, () -> condition.evaluate(runOf(exchange)));
            }

            @Override
            public String toString() {
                return "caravan:" + text;
            }
        };
    }

    private static <T> T parse(Supplier<T> parser, String text) {
        try {
            return parser.get();
        } catch (TemplateException | IllegalArgumentException e) {
            throw new IllegalArgumentException("caravan expression \"" + text + "\": " + e.getMessage(), e);
        }
    }

    private static <T> T evaluating(Exchange exchange, Supplier<T> evaluation) {
        try {
            return evaluation.get();
        } catch (MissingValueException e) {
            String node = exchange.getProperty(Runs.NODE, String.class);
            throw new CaravanException(ErrorCode.TEMPLATE_VALUE_MISSING,
                    (node == null ? "" : "node '" + node + "': ") + e.getMessage(), node, e);
        }
    }

    /**
     * The run on the exchange, or one made from the message and kept on the exchange: input is
     * the body, the trigger holds body and headers.
     */
    static RunContext runOf(Exchange exchange) {
        RunContext run = exchange.getProperty(Runs.RUN, RunContext.class);
        if (run != null) {
            return run;
        }
        Object body = exchange.getMessage().getBody();
        Object input = body instanceof byte[] || body instanceof String
                ? Json.parseIfJson(exchange.getMessage().getBody(String.class)) : body;
        Map<String, Object> headers = new LinkedHashMap<>();
        exchange.getMessage().getHeaders().forEach((k, v) -> headers.put(k, v == null ? null : v.toString()));
        Map<String, Object> trigger = new LinkedHashMap<>();
        trigger.put("body", input);
        trigger.put("headers", headers);
        run = new RunContext();
        run.startWith("message", trigger, input);
        Runs.start(exchange, run);
        return run;
    }
}
