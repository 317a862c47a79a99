package io.caravan.runtime.observe;

import io.caravan.CaravanException;
import io.caravan.compile.RunEvents;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caravan's message counters, labelled with the workflow's own names: what the compiled routes
 * report through {@link RunEvents}, plus the retried and dead-lettered counters that error
 * handling increments. Labels carry ids, queue types and addresses only, never a credential.
 */
public final class RunMetrics implements RunEvents {

    public static final String RECEIVED = "caravan.messages.received";
    public static final String SENT = "caravan.messages.sent";
    public static final String FAILED = "caravan.messages.failed";
    public static final String RETRIED = "caravan.messages.retried";
    public static final String DEAD_LETTERED = "caravan.messages.dead.lettered";
    public static final String SCHEDULE_SKIPPED = "caravan.schedule.skipped";
    public static final String COMPENSATIONS = "caravan.compensations";
    public static final String WAITING = "caravan.runs.waiting";

    private final MeterRegistry registry;
    /** The per-message counters by their labels: a registry lookup builds and sorts tags each time. */
    private final Map<List<String>, Counter> counters = new ConcurrentHashMap<>();

    public RunMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void received(String workflowId, String nodeId, String queueType, String source) {
        received(workflowId, nodeId, queueType, source, 1);
    }

    @Override
    public void sent(String workflowId, String nodeId, String queueType, String destination) {
        sent(workflowId, nodeId, queueType, destination, 1);
    }

    @Override
    public void failed(String workflowId, CaravanException error) {
        Counter.builder(FAILED).description("workflow runs that failed, by the node where and the error code")
                .tag("workflow", workflowId).tag("node", nullToEmpty(error.node()))
                .tag("code", error.code().name()).register(registry).increment();
    }

    /** One more delivery attempt of a message in {@code nodeId} (reported by the onException redelivery). */
    @Override
    public void retried(String workflowId, String nodeId, int attempt) {
        retriedCounter(workflowId, nodeId).increment();
    }

    /** A message that failed in {@code nodeId} is confirmed in its dead-letter destination. */
    @Override
    public void deadLettered(String workflowId, String nodeId, String queueType, String destination) {
        deadLetteredCounter(workflowId, nodeId).increment();
    }

    @Override
    public void scheduleSkipped(String workflowId, String nodeId) {
        skippedCounter(workflowId, nodeId).increment();
    }

    /** A compensation node ran (result ok) or failed (result failed) after a later node failed. */
    @Override
    public void compensated(String workflowId, String nodeId, boolean ok) {
        Counter.builder(COMPENSATIONS).description("compensation nodes run after a later node failed, by result")
                .tag("workflow", workflowId).tag("node", nodeId).tag("result", ok ? "ok" : "failed")
                .register(registry).increment();
    }

    /**
     * Makes every counter of a workflow visible at 0 before anything happened, so that dashboards
     * and rate() see the series from the start. Registering again is harmless.
     */
    public void register(Workflow workflow) {
        WorkflowNode start = workflow.trigger();
        if (start != null && start.config().get(io.caravan.workflow.NodeSpecs.Receive.CONCURRENCY.name()) != null) {
            String id = workflow.id();
            io.micrometer.core.instrument.Gauge.builder(WAITING, () -> io.caravan.compile.nodes.ConcurrencyLimit.waiting(id))
                    .description("runs waiting for a place under the trigger's concurrency limit (their messages stay"
                            + " unacknowledged)").tag("workflow", id).register(registry);
        }
        for (WorkflowNode node : workflow.nodes()) {
            if (node.trigger()) {
                switch (node.type()) {
                    case WEBHOOK -> received(workflow.id(), node.id(), "webhook", "/webhooks/" + workflow.id(), 0);
                    case SCHEDULE -> {
                        received(workflow.id(), node.id(), "schedule", workflow.id(), 0);
                        skippedCounter(workflow.id(), node.id());
                    }
                    default -> received(workflow.id(), node.id(), node.queueType(), node.address(), 0);
                }
            } else if (node.type() == NodeType.SEND_MESSAGE && node.address() != null) {
                sent(workflow.id(), node.id(), node.queueType(), node.address(), 0);
            }
            retriedCounter(workflow.id(), node.id());
            deadLetteredCounter(workflow.id(), node.id());
        }
    }

    private void received(String workflowId, String nodeId, String queueType, String source, int amount) {
        counters.computeIfAbsent(List.of(RECEIVED, workflowId, nodeId, nullToEmpty(queueType), nullToEmpty(source)),
                k -> Counter.builder(RECEIVED).description("messages, calls and schedule firings that started a workflow run")
                .tag("workflow", workflowId).tag("node", nodeId).tag("queue_type", nullToEmpty(queueType))
                .tag("source", nullToEmpty(source)).register(registry)).increment(amount);
    }

    private void sent(String workflowId, String nodeId, String queueType, String destination, int amount) {
        counters.computeIfAbsent(List.of(SENT, workflowId, nodeId, nullToEmpty(queueType), nullToEmpty(destination)),
                k -> Counter.builder(SENT).description("messages a send_message node handed to its broker")
                .tag("workflow", workflowId).tag("node", nodeId).tag("queue_type", nullToEmpty(queueType))
                .tag("destination", nullToEmpty(destination)).register(registry)).increment(amount);
    }

    private Counter skippedCounter(String workflowId, String nodeId) {
        return Counter.builder(SCHEDULE_SKIPPED).description("schedule ticks skipped because the previous run was still going")
                .tag("workflow", workflowId).tag("node", nodeId).register(registry);
    }

    private Counter retriedCounter(String workflowId, String nodeId) {
        return Counter.builder(RETRIED).description("redelivery attempts made by retry handling")
                .tag("workflow", workflowId).tag("node", nodeId).register(registry);
    }

    private Counter deadLetteredCounter(String workflowId, String nodeId) {
        return Counter.builder(DEAD_LETTERED).description("messages moved to a dead-letter queue")
                .tag("workflow", workflowId).tag("node", nodeId).register(registry);
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
