package io.caravan.workflow;

import java.time.Duration;
import java.util.List;

/**
 * A workflow's or a node's {@code error_handling}: retry, circuit breaker and dead letter. Each
 * part is null when not set; a node's parts override the workflow's part by part.
 */
public record ErrorHandling(Retry retry, CircuitBreaker circuitBreaker, DeadLetter deadLetter) {

    public static final ErrorHandling NONE = new ErrorHandling(null, null, null);

    /** Camel redelivery: attempts in all (the first included), exponential backoff, jitter. */
    public record Retry(int maxAttempts, Duration initialDelay, double multiplier, Duration maxDelay, boolean jitter,
                        List<String> retryOn) {
    }

    /** resilience4j around the node; {@code fallback} is a node id, {@code dead_letter} or {@code fail}. */
    public record CircuitBreaker(int failureRateThreshold, int minimumCalls, int slidingWindow, Duration waitInOpen,
                                 int halfOpenCalls, Duration timeout, String fallback) {
    }

    /**
     * Where a message goes when its run fails for good: a broker destination, or with
     * {@code nativeDlq} the source broker's own dead-letter mechanism. {@code byDefault}: the
     * workflow named none, so this is its trigger broker's default ({@code <source>.dlq}), which
     * gives way where the source dead-letters by itself (an SQS queue with a redrive policy).
     */
    public record DeadLetter(boolean nativeDlq, String queueType, String destination, String credentialId,
                             NodeConfig config, boolean byDefault) {

        public DeadLetter(boolean nativeDlq, String queueType, String destination, String credentialId, NodeConfig config) {
            this(nativeDlq, queueType, destination, credentialId, config, false);
        }
    }

    /** These settings with {@code override}'s parts in place of the ones it sets. */
    public ErrorHandling overriddenBy(ErrorHandling override) {
        if (override == null) {
            return this;
        }
        return new ErrorHandling(override.retry != null ? override.retry : retry,
                override.circuitBreaker != null ? override.circuitBreaker : circuitBreaker,
                override.deadLetter != null ? override.deadLetter : deadLetter);
    }

    public boolean isEmpty() {
        return retry == null && circuitBreaker == null && deadLetter == null;
    }
}
