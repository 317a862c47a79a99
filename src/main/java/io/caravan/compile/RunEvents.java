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

    /** A trigger started a run: a message consumed, a webhook call, a schedule fired. */
    default void received(String workflowId, String nodeId, String queueType, String source) {
    }

    /** A send_message node's message was accepted by its broker. */
    default void sent(String workflowId, String nodeId, String queueType, String destination) {
    }

    /** A run failed; {@code error.node()} is where. */
    default void failed(String workflowId, CaravanException error) {
    }

    /**
     * Several listeners as one. The list is read at every event, not copied, so listeners added
     * after compiling (metrics, before the runtime starts) are called too: pass a thread-safe
     * list such as a CopyOnWriteArrayList.
     */
    static RunEvents all(List<RunEvents> listeners) {
        List<RunEvents> copy = listeners;
        return new RunEvents() {
            @Override
            public void received(String workflowId, String nodeId, String queueType, String source) {
                copy.forEach(l -> l.received(workflowId, nodeId, queueType, source));
            }

            @Override
            public void sent(String workflowId, String nodeId, String queueType, String destination) {
                copy.forEach(l -> l.sent(workflowId, nodeId, queueType, destination));
            }

            @Override
            public void failed(String workflowId, CaravanException error) {
                copy.forEach(l -> l.failed(workflowId, error));
            }
        };
    }
}
