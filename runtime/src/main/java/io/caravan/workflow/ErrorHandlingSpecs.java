package io.caravan.workflow;

import static io.caravan.spec.Field.Kind.BOOLEAN;
import static io.caravan.spec.Field.Kind.CREDENTIAL_ID;
import static io.caravan.spec.Field.Kind.DURATION;
import static io.caravan.spec.Field.Kind.NUMBER;
import static io.caravan.spec.Field.Kind.QUEUE_TYPE;
import static io.caravan.spec.Field.Kind.STRING;
import static io.caravan.spec.Field.Kind.WHOLE_NUMBER;

import io.caravan.spec.Field;
import java.time.Duration;
import java.util.List;

/**
 * The fields of an {@code error_handling} block, on a workflow or a node: retry, circuit breaker
 * and dead letter. {@link ErrorHandlingReader} and the reference read them.
 */
public final class ErrorHandlingSpecs {

    /** Failure kinds a retry may be limited to (retry_on). */
    public static final List<String> RETRYABLE = List.of("CONNECTION_FAILED", "TIMEOUT", "REPLY_TIMEOUT", "HTTP_5XX", "HTTP_4XX",
            "QUEUE_NOT_FOUND", "INTERNAL");
    public static final List<String> DEFAULT_RETRY_ON = List.of("CONNECTION_FAILED", "TIMEOUT", "HTTP_5XX");
    public static final List<String> PARTS = List.of("retry", "circuit_breaker", "dead_letter");

    public static final List<Field> RETRY = List.of(
            Field.of("max_attempts", WHOLE_NUMBER, "attempts in all, the first included").between(1, 100)
                    .withDefault(3L),
            Field.of("initial_delay", DURATION, "wait before the second attempt").mustBePositive()
                    .withDefault(Duration.ofSeconds(1)),
            Field.of("multiplier", NUMBER, "each wait is the last one times this").atLeast(1)
                    .withDefault(2.0).withExample("1.5"),
            Field.of("max_delay", DURATION, "longest wait between attempts").mustBePositive()
                    .withDefault(Duration.ofSeconds(30)),
            Field.of("jitter", BOOLEAN, "vary each wait by up to 15% so instances do not retry in step")
                    .withDefault(false),
            Field.choiceList("retry_on", RETRYABLE, "failure codes worth retrying; others fail at once")
                    .withDefault(DEFAULT_RETRY_ON));
    public static final List<Field> CIRCUIT_BREAKER = List.of(
            Field.of("failure_rate_threshold", WHOLE_NUMBER, "failure percentage that opens the breaker")
                    .between(1, 100).withDefault(50L),
            Field.of("minimum_calls", WHOLE_NUMBER, "calls before the rate is judged").between(1, 100_000)
                    .withDefault(10L),
            Field.of("sliding_window", WHOLE_NUMBER, "calls the rate is computed over").between(1, 100_000)
                    .withDefault(20L),
            Field.of("wait_in_open", DURATION, "time open before half-open probes, in whole seconds (Camel's resilience4j option takes seconds: 1500ms waits 2s)").mustBePositive()
                    .withDefault(Duration.ofSeconds(30)),
            Field.of("half_open_calls", WHOLE_NUMBER, "probe calls while half-open").between(1, 10_000)
                    .withDefault(3L),
            Field.of("timeout", DURATION, "a call slower than this counts as failed").mustBePositive()
                    .withExample("5s"),
            Field.of("fallback", STRING, "a node id, dead_letter or fail").withDefault("fail")
                    .withExample("last-known"));
    public static final List<Field> DEAD_LETTER = List.of(
            Field.of("native", BOOLEAN, "use the source broker's own dead-letter mechanism (see each broker's"
                    + " native dead letter below)")
                    .withDefault(false),
            Field.of("queue_type", QUEUE_TYPE, "broker of the dead-letter destination"),
            Field.of("destination", STRING, "dead-letter queue, topic or stream").withExample("orders.dlq"),
            Field.of("credential_id", CREDENTIAL_ID, "credential for the dead-letter broker").withExample("kafka-local"));

    private ErrorHandlingSpecs() {
    }
}
