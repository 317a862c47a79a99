package io.caravan.workflow;

import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caravan.credential.CredentialStore;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.WorkflowSet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The error_handling block: every field checked with its place, and node settings over the workflow's. */
class ErrorHandlingValidationTest {

    static final Path DIR = Path.of("runtime/src/test/resources/workflows");
    final CredentialStore credentials = WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of(".")));

    @Test
    void reportsEveryProblemWithItsPlace() {
        Path file = DIR.resolve("error-handling-bad.yaml");
        assertThatThrownBy(() -> WorkflowSet.load(List.of(file), credentials))
                .isInstanceOfSatisfying(InvalidFileException.class, e -> assertThat(e.diagnostics()).map(Diagnostic::format)
                        .containsExactly(
                                file + ":4:19: error: max_attempts must be between 1 and 100, got 0 (at $.error_handling.retry.max_attempts)",
                                file + ":6:16: error: max_delay (1s) is shorter than initial_delay (2s) (at $.error_handling.retry.max_delay)",
                                file + ":7:17: error: multiplier must be at least 1, got 0.5 (at $.error_handling.retry.multiplier)",
                                file + ":8:35: error: unknown retry_on value \"SOMETIMES\"; valid values: CONNECTION_FAILED, TIMEOUT, REPLY_TIMEOUT, HTTP_5XX, HTTP_4XX, QUEUE_NOT_FOUND, INTERNAL (at $.error_handling.retry.retry_on[1])",
                                file + ":9:3: error: unknown key 'circut_breaker' in workflow error_handling; valid keys: retry, circuit_breaker, dead_letter (at $.error_handling.circut_breaker)",
                                file + ":18:24: error: circuit_breaker minimum_calls (30) cannot exceed sliding_window (20) (at $.nodes[1].error_handling.circuit_breaker)",
                                file + ":18:74: error: fallback 'nowhere' is not a node id, dead_letter or fail; nodes: in, out, other (at $.nodes[1].error_handling.circuit_breaker.fallback)",
                                file + ":19:20: error: Apache Kafka has no native dead-letter queue; give dead_letter a queue_type, destination and credential_id instead (at $.nodes[1].error_handling.dead_letter)",
                                file + ":24:73: error: credential 'sqs-local' is queue_aws_sqs but queue_type kafka needs queue_kafka (at $.nodes[2].error_handling.dead_letter.credential_id)"));
    }

    @Test
    void aFallbackNodeBelongsToOneNodesBreakerAndTakesNoEdges() {
        Path file = DIR.resolve("error-handling-fallback-bad.yaml");
        assertThatThrownBy(() -> WorkflowSet.load(List.of(file), credentials))
                .isInstanceOfSatisfying(InvalidFileException.class, e -> assertThat(e.diagnostics()).map(Diagnostic::format)
                        .containsExactly(
                                file + ":3:3: error: a fallback node can only be set on a node's own circuit_breaker, not the workflow's; use dead_letter or fail here (at $.error_handling)",
                                file + ":14:5: error: node 'spare' is the fallback of 'call' and runs only in its place; it takes no edges (at $.edges[1])"));
    }

    @Test
    void readsTheSettingsAndLetsANodeOverrideTheWorkflowPartByPart() {
        Workflow wf = WorkflowSet.load(List.of(DIR.resolve("error-handling-good.yaml")), credentials).get(0);
        ErrorHandling.Retry retry = wf.errorHandling().retry();
        assertThat(retry).isEqualTo(new ErrorHandling.Retry(5, Duration.ofMillis(200), 2.0, Duration.ofSeconds(10), true,
                List.of("CONNECTION_FAILED", "TIMEOUT", "HTTP_5XX")));
        assertThat(wf.errorHandling().deadLetter().destination()).isEqualTo("orders.dlq");

        ErrorHandling out = wf.errorHandling(wf.node("out").orElseThrow());
        assertThat(out.retry().maxAttempts()).isEqualTo(2);
        assertThat(out.retry().initialDelay()).as("defaults fill what the node leaves out").isEqualTo(Duration.ofSeconds(1));
        assertThat(out.deadLetter().nativeDlq()).isTrue();
        assertThat(out.circuitBreaker()).isEqualTo(new ErrorHandling.CircuitBreaker(50, 10, 20, Duration.ofSeconds(30), 3,
                Duration.ofSeconds(5), "dead_letter"));

        ErrorHandling in = wf.errorHandling(wf.node("in").orElseThrow());
        assertThat(in.retry()).isEqualTo(retry);
        assertThat(in.circuitBreaker()).isNull();
    }
}
