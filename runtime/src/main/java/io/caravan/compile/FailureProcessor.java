package io.caravan.compile;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.template.RunContext;
import io.caravan.workflow.Workflow;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs when a workflow run fails: logs the failure with its code and node and, for a trigger
 * that answers (a webhook), sets the error response
 * {@code {"execution_id", "status": "failed", "error": {"code", "message", "node"}}}.
 */
public final class FailureProcessor implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger("io.caravan.run");

    private final Workflow workflow;
    private final boolean replies;
    private final BiFunction<Throwable, String, CaravanException> classify;
    private final RunEvents events;

    FailureProcessor(Workflow workflow, boolean replies, BiFunction<Throwable, String, CaravanException> classify,
                     RunEvents events) {
        this.workflow = workflow;
        this.replies = replies;
        this.classify = classify;
        this.events = events;
    }

    @Override
    public void process(Exchange exchange) {
        Runs.Failure failure = Runs.failure(exchange);
        CaravanException error = classify.apply(failure.cause(), failure.node());
        if (Runs.inItem(exchange)) {
            Runs.failItem(exchange, error); // the run fails with it once the loop is over, and is handled once there
            return;
        }
        RunContext run = exchange.getProperty(Runs.RUN, RunContext.class);
        String executionId = run == null ? exchange.getExchangeId() : run.executionId();
        LOG.warn("workflow '{}' execution {} failed in node '{}': {}: {}", workflow.id(), executionId,
                error.node(), error.code(), oneLine(error.getMessage()));
        events.failed(workflow.id(), error);
        if (!replies) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("execution_id", executionId);
        body.put("status", "failed");
        body.put("error", error.describe());
        FinishProcessor.reply(exchange, httpStatus(error.code()), body);
    }

    static int httpStatus(ErrorCode code) {
        return switch (code) {
            case BAD_PAYLOAD -> 400;
            case TEMPLATE_VALUE_MISSING -> 422;
            case CONNECTION_FAILED, QUEUE_NOT_FOUND, HTTP_ERROR, HTTP_4XX, HTTP_5XX, CREDENTIAL_NOT_FOUND -> 502;
            case TIMEOUT -> 504;
            case CIRCUIT_OPEN -> 503;
            case INTERNAL, TOO_MANY_DELIVERIES -> 500;
        };
    }

    /** Log lines stay one line whatever a message holds (no forged log lines). */
    static String oneLine(String text) {
        return text == null ? "" : text.replace("\r", "\\r").replace("\n", "\\n");
    }
}
