package io.caravan.compile;

import io.caravan.CaravanException;
import java.util.List;

/**
 * What workflow runs report as they go, for metrics and management. Compiled processors call
 * these on the hot path, so implementations must be cheap and must not throw.
 */
public interface RunEvents {

    RunEvents NONE = new RunEvents() {
    };

    /** The runtime's listeners, which it puts in Camel's registry; none in a plain Camel. */
    static RunEvents of(org.apache.camel.CamelContext context) {
        RunEvents found = context.getRegistry().findSingleByType(RunEvents.class);
        return found == null ? NONE : found;
    }

    /** A trigger started a run: a message consumed, a webhook call, a schedule fired. */
    default void received(String workflowId, String nodeId, String queueType, String source) {
    }

    /** A send_message node's message was accepted by its broker. */
    default void sent(String workflowId, String nodeId, String queueType, String destination) {
    }

    /** A node's call failed and is tried again ({@code attempt} counts from 2). */
    default void retried(String workflowId, String nodeId, int attempt) {
    }

    /** A failed run's original message is confirmed in its dead-letter destination. */
    default void deadLettered(String workflowId, String nodeId, String queueType, String destination) {
    }

    /** A run failed; {@code error.node()} is where. */
    default void failed(String workflowId, CaravanException error) {
    }

    /** A message was skipped as a duplicate of one already processed, and acknowledged. */
    default void duplicate(String workflowId, String nodeId) {
    }

    /** A schedule ticked while its previous run was still going, and {@code overlap: skip} skipped the tick. */
    default void scheduleSkipped(String workflowId, String nodeId) {
    }

    /** A compensation node ran after a later node failed: {@code ok} false when it failed too. */
    default void compensated(String workflowId, String nodeId, boolean ok) {
    }

    /**
     * Several listeners as one. The list is read at every event, not copied, so listeners added
     * after compiling (metrics, before the runtime starts) are called too: pass a thread-safe
     * list such as a CopyOnWriteArrayList.
     */
    public static RunEvents all(List<RunEvents> listeners) {
        return new RunEvents() {
            @Override
            public void received(String workflowId, String nodeId, String queueType, String source) {
                listeners.forEach(l -> l.received(workflowId, nodeId, queueType, source));
            }

            @Override
            public void sent(String workflowId, String nodeId, String queueType, String destination) {
                listeners.forEach(l -> l.sent(workflowId, nodeId, queueType, destination));
            }

            @Override
            public void retried(String workflowId, String nodeId, int attempt) {
                listeners.forEach(l -> l.retried(workflowId, nodeId, attempt));
            }

            @Override
            public void deadLettered(String workflowId, String nodeId, String queueType, String destination) {
                listeners.forEach(l -> l.deadLettered(workflowId, nodeId, queueType, destination));
            }

            @Override
            public void failed(String workflowId, CaravanException error) {
                listeners.forEach(l -> l.failed(workflowId, error));
            }

            @Override
            public void duplicate(String workflowId, String nodeId) {
                listeners.forEach(l -> l.duplicate(workflowId, nodeId));
            }

            @Override
            public void scheduleSkipped(String workflowId, String nodeId) {
                listeners.forEach(l -> l.scheduleSkipped(workflowId, nodeId));
            }

            @Override
            public void compensated(String workflowId, String nodeId, boolean ok) {
                listeners.forEach(l -> l.compensated(workflowId, nodeId, ok));
            }
        };
    }
}
