package io.caravan;

/**
 * The error codes a workflow run or a broker call reports. The first three come from the seed
 * ({@code seeds/000_*}); the rest name Caravan's own failures so a caller can tell them apart.
 */
public enum ErrorCode {
    CONNECTION_FAILED,
    CREDENTIAL_NOT_FOUND,
    QUEUE_NOT_FOUND,
    /** A template named a value that the run context does not hold. */
    TEMPLATE_VALUE_MISSING,
    /** A message or HTTP body could not be read as the node expects. */
    BAD_PAYLOAD,
    /** An http node got a response it treats as failure, or could not call at all. */
    HTTP_ERROR,
    /** An http node got a 4xx while its retry_on names HTTP_4XX (so the status is a failure). */
    HTTP_4XX,
    /** An http node got a 5xx while its retry_on names HTTP_5XX. */
    HTTP_5XX,
    TIMEOUT,
    /** A send_message with reply got no answer within its reply timeout. */
    REPLY_TIMEOUT,
    /**
     * A message came back more times than its trigger's max_deliveries (the broker's own count):
     * it is dead-lettered without running again.
     */
    TOO_MANY_DELIVERIES,
    /** A node's circuit breaker is open (or its call failed and the breaker falls back to failing). */
    CIRCUIT_OPEN,
    /** Anything not classified above; the message carries the cause. */
    INTERNAL
}
