package io.caravan.compile.errors;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Messages;
import io.caravan.compile.FinishProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.template.RunContext;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of a workflow's failure handling, as {@code caravan:} actions (see
 * {@link io.caravan.camel.CaravanComponent}): the run failed ({@code failed}), its original
 * message becomes the dead letter ({@code dead-letter}) which the broker's own endpoint then
 * sends, the broker confirmed it ({@code dead-lettered}), an error branch takes a node's failure
 * ({@code caught}). Each reads the failure from the exchange ({@link Failures#classify}).
 */
public final class FailureSteps {

    private static final Logger LOG = LoggerFactory.getLogger("io.caravan.run");

    private FailureSteps() {
    }

    /**
     * The run failed: logs it with its code and node and, for a trigger that answers (a webhook),
     * sets the answer {@code {"execution_id", "status": "failed", "error": {"code", "message", "node"}}}.
     * A loop item's or a branch's failure is only recorded: its loop or join fails the run.
     */
    public static Processor failed(String workflowId, boolean replies, RunEvents events) {
        return exchange -> {
            CaravanException error = Failures.classify(exchange);
            if (Runs.inItem(exchange)) {
                Runs.failItem(exchange, error); // the run fails with it once the loop is over, and is handled once there
                return;
            }
            RunContext run = exchange.getProperty(Runs.RUN, RunContext.class);
            String executionId = run == null ? exchange.getExchangeId() : run.executionId();
            // a dead-lettered run was logged once, with its failure, where the broker confirmed the letter
            boolean deadLettered = Boolean.TRUE.equals(exchange.getProperty(Runs.DEAD_LETTERED));
            LOG.atLevel(deadLettered ? org.slf4j.event.Level.DEBUG : org.slf4j.event.Level.WARN).log(
                    "workflow '{}' execution {} failed in node '{}': {}: {}", workflowId, executionId,
                    error.node(), error.code(), oneLine(error.getMessage()));
            events.failed(workflowId, error);
            if (run != null && run.trace() != null) {
                run.trace().failed(error.node(), error.code().name());
                run.trace().end(error.node(), error.code().name(), error.getMessage());
            }
            if (!replies) {
                return;
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("execution_id", executionId);
            body.put("status", "failed");
            body.put("error", error.describe());
            FinishProcessor.reply(exchange, httpStatus(error.code()), body);
        };
    }

    /**
     * The message becomes the dead letter: the original message, unchanged (the broker's bytes
     * where known), with the failure in {@code caravan-*} attributes and the source's key and
     * partition (Kafka). Nothing of the failed run's own headers goes with it. The broker's
     * endpoint after this step sends it; its confirmation is {@link #deadLettered}.
     */
    public static Processor deadLetter(String workflowId) {
        return exchange -> {
            Runs.Original original = exchange.getProperty(Runs.ORIGINAL, Runs.Original.class);
            CaravanException error = Failures.classify(exchange);
            Map<String, String> attributes = new LinkedHashMap<>(original.attributes());
            attributes.put("caravan-error-code", error.code().name());
            attributes.put("caravan-error-message", String.valueOf(error.getMessage()));
            attributes.put("caravan-failed-node", String.valueOf(error.node()));
            attributes.put("caravan-workflow", workflowId);
            attributes.put("caravan-attempts", String.valueOf(attempts(exchange)));
            attributes.put("caravan-original-source", original.source());
            attributes.put("caravan-failed-at", Runs.now(exchange).toString());
            String compensation = exchange.getProperty(Runs.COMPENSATION_FAILED, String.class);
            if (compensation != null) {
                attributes.put("caravan-compensation-failed", compensation);
            }
            exchange.setProperty(Runs.DEAD_LETTERING, Boolean.TRUE);
            var letter = exchange.getMessage();
            letter.getHeaders().clear();
            letter.setBody(original.deadLetterBody());
            attributes.forEach((name, value) -> {
                if (!BindingSupport.isControlName(name)) {
                    letter.setHeader(name, value);
                }
            });
            if (original.key() != null) {
                letter.setHeader(Messages.KEY, original.key());
            }
            if (original.partition() != null) {
                // the producer uses it where the dead-letter destination has that partition
                letter.setHeader(Messages.PARTITION, original.partition());
            }
        };
    }

    /** The broker confirmed the dead letter: counted and logged; the run is handled. */
    public static Processor deadLettered(String workflowId, String queueType, String destination, RunEvents events) {
        return exchange -> {
            Runs.Original original = exchange.getProperty(Runs.ORIGINAL, Runs.Original.class);
            CaravanException error = Failures.classify(exchange);
            exchange.setProperty(Runs.DEAD_LETTERED, Boolean.TRUE);
            exchange.getMessage().getHeaders().clear();
            events.deadLettered(workflowId, error.node(), queueType, destination);
            LOG.warn("workflow '{}': message from {} dead-lettered to {} {} after {} attempt(s): failed in node '{}': {}: {}",
                    workflowId, original.source(), queueType, destination, attempts(exchange), error.node(), error.code(),
                    oneLine(error.getMessage()));
        };
    }

    /**
     * The {@code doCatch} of a node that has an error branch: records the failure as
     * {@code {{error.code}}}, {@code {{error.message}}} and {@code {{error.node}}}, so that the nodes
     * after the node's {@code label: error} edges run and the others do not.
     */
    public static Processor caught(String workflowId, String nodeId) {
        return exchange -> {
            Runs.Failure failure = Runs.failure(exchange);
            CaravanException error = Failures.classify(exchange, failure.cause(),
                    failure.node() == null ? nodeId : failure.node());
            RunContext run = Runs.of(exchange);
            run.fail(nodeId, error.describe());
            exchange.removeProperty(Runs.REDELIVERIES);
            LOG.info("workflow '{}' execution {}: node '{}' failed ({}{}), its error branch runs", workflowId,
                    run.executionId(), nodeId, error.code(), nodeId.equals(error.node()) ? "" : " in node '" + error.node() + "'");
        };
    }

    /**
     * A node with {@code compensate} completed: its compensation is noted in the run, newest
     * first, to run should a later node fail unhandled.
     */
    public static Processor completed(String nodeId, String compensation, String endpointUri) {
        return exchange -> Runs.of(exchange).completed(nodeId, compensation, endpointUri);
    }

    /**
     * The first step of every clause that fails a run (after its retries, not taken by an error
     * branch): runs the compensations of the nodes that completed, newest first, each on a copy
     * of the run with the failure in {@code {{error.*}}}, one after the other, waiting for each.
     * Why Caravan's own steps and not Camel's Saga EIP: the EIP's in-memory coordinator calls
     * compensation endpoints with a fresh exchange (no run context, so no {@code {{charge.id}}})
     * and asynchronously, after the route's error handling has moved on, where a compensation
     * here must have run before the message is dead-lettered or the caller answered. A
     * compensation that fails is logged, counted ({@code caravan_compensations_total{result="failed"}})
     * and named in the dead letter's {@code caravan-compensation-failed} attribute; the others
     * still run.
     */
    public static Processor compensate(String workflowId, RunEvents events) {
        return exchange -> {
            RunContext run = exchange.getProperty(Runs.RUN, RunContext.class);
            List<String[]> todo = run == null ? List.of() : run.takeCompensations();
            if (todo.isEmpty()) {
                return;
            }
            CaravanException error = Failures.classify(exchange);
            run.error(error.describe());
            List<String> failures = new java.util.ArrayList<>();
            org.apache.camel.ProducerTemplate template = exchange.getContext().createProducerTemplate();
            try {
                for (String[] c : todo) {
                    Exchange copy = exchange.copy();
                    copy.setException(null);
                    copy.removeProperty(Exchange.EXCEPTION_CAUGHT);
                    copy.setRouteStop(false);
                    template.send(c[2], copy);
                    if (copy.getException() != null) {
                        failures.add(c[1] + " (for " + c[0] + "): " + oneLine(String.valueOf(copy.getException().getMessage())));
                        events.compensated(workflowId, c[1], false);
                        LOG.warn("workflow '{}' execution {}: compensation '{}' of node '{}' failed: {}", workflowId,
                                run.executionId(), c[1], c[0], oneLine(String.valueOf(copy.getException().getMessage())));
                    } else {
                        events.compensated(workflowId, c[1], true);
                        LOG.info("workflow '{}' execution {}: node '{}' failed ({}), compensation '{}' undid node '{}'",
                                workflowId, run.executionId(), error.node(), error.code(), c[1], c[0]);
                    }
                }
            } finally {
                template.stop();
            }
            if (!failures.isEmpty()) {
                exchange.setProperty(Runs.COMPENSATION_FAILED, String.join("; ", failures));
            }
        };
    }

    private static int attempts(Exchange exchange) {
        return exchange.getProperty(Runs.REDELIVERIES, 0, Integer.class) + 1;
    }

    static int httpStatus(ErrorCode code) {
        return switch (code) {
            case BAD_PAYLOAD -> 400;
            case TEMPLATE_VALUE_MISSING -> 422;
            case CONNECTION_FAILED, QUEUE_NOT_FOUND, HTTP_ERROR, HTTP_4XX, HTTP_5XX, CREDENTIAL_NOT_FOUND -> 502;
            case TIMEOUT, REPLY_TIMEOUT -> 504;
            case CIRCUIT_OPEN -> 503;
            case INTERNAL, TOO_MANY_DELIVERIES -> 500;
        };
    }

    /** Log lines stay one line whatever a message holds (no forged log lines). */
    static String oneLine(String text) {
        return text == null ? "" : text.replace("\r", "\\r").replace("\n", "\\n");
    }
}
