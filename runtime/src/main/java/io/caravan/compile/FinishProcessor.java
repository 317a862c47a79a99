package io.caravan.compile;

import io.caravan.Json;
import io.caravan.template.RunContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The last step of every workflow route. For a trigger that answers (a webhook) it sets the
 * response {@code {"execution_id", "status": "completed", "output": <last node's output>}}.
 */
public final class FinishProcessor implements Processor {

    private final boolean replies;

    public FinishProcessor(boolean replies) {
        this.replies = replies;
    }

    @Override
    public void process(Exchange exchange) {
        RunContext ended = exchange.getProperty(Runs.RUN, RunContext.class);
        if (ended != null && ended.trace() != null) {
            ended.trace().end(null, null, null);
        }
        if (!replies) {
            return;
        }
        RunContext run = Runs.of(exchange);
        List<String> ran = run.ranNodes();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("execution_id", run.executionId());
        body.put("status", "completed");
        body.put("output", run.output(ran.get(ran.size() - 1)));
        reply(exchange, 200, body);
    }

    /** Sets an HTTP answer: the status and a JSON body, and no other header. */
    public static void reply(Exchange exchange, int status, Map<String, Object> body) {
        exchange.getMessage().getHeaders().clear();
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setBody(Json.write(body));
    }
}
