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

    /** A node's call failed and is tried again ({@code attempt} counts from 2). */
    default void retried(String workflowId, String nodeId, int attempt) {
    }

    /** A failed run's original message is confirmed in its dead-letter destination. */
    default void deadLettered(String workflowId, String nodeId, String queueType, String destination) {
    }

    /** A run failed; {@code error.node()} is where. */
    default void failed(String workflowId, CaravanException error) {
    }

    /** Several listeners as one. */
    static RunEvents all(List<RunEvents> listeners) {
        List<RunEvents> copy = List.copyOf(listeners);
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
            public void retried(String workflowId, String nodeId, int attempt) {
                copy.forEach(l -> l.retried(workflowId, nodeId, attempt));
            }

            @Override
            public void deadLettered(String workflowId, String nodeId, String queueType, String destination) {
                copy.forEach(l -> l.deadLettered(workflowId, nodeId, queueType, destination));
            }

            @Override
            public void failed(String workflowId, CaravanException error) {
                copy.forEach(l -> l.failed(workflowId, error));
            }
        };
    }
}
