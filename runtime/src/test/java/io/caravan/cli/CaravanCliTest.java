package io.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The validate and compile commands as a user sees them: output, file names as given, exit codes. */
class CaravanCliTest {

    @TempDir
    Path dir;

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int caravan(String... args) {
        return new Caravan(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Path.of(".")).execute(args);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void validatesTheExamples() throws Exception {
        assertThat(caravan("validate", "workflows")).isEqualTo(0);
        long examples;
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("workflows"))) {
            examples = files.count();
        }
        assertThat(out()).startsWith(examples + " workflows valid: ")
                .contains("orders-kafka-to-sqs", "payments-webhook-to-rabbitmq", "events-sqs-to-kafka",
                        "signups-webhook-to-kafka");
        assertThat(err()).isEmpty();
    }

    @Test
    void reportsEveryProblemWithTheFileAsGivenAndExitsOne() throws Exception {
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, """
                {
                  "id": "broken",
                  "nodes": [
                    {"id": "in", "type": "webhook"},
                    {"id": "out", "type": "send_message", "config": {
                      "queue_type": "kafka", "destinaton": "t", "message": "{{nowhere.x}}",
                      "credential_id": "kafka-prod"}}
                  ],
                  "edges": [{"from": "in", "to": "out"}]
                }
                """);
        assertThat(caravan("validate", broken.toString())).isEqualTo(1);
        String[] lines = err().split("\n");
        assertThat(lines).allSatisfy(line -> assertThat(line).matches(
                "(" + java.util.regex.Pattern.quote(broken.toString()) + ":\\d+:\\d+: error: .+ \\(at \\$[^)]*\\))|\\d+ problems? found"));
        assertThat(err()).contains(broken + ":6:").contains("destinaton")
                .contains("CREDENTIAL_NOT_FOUND").contains("nowhere");
        assertThat(lines[lines.length - 1]).matches("\\d+ problems found");
    }

    @Test
    void compilePrintsTheCamelYaml() {
        assertThat(caravan("compile", "workflows/orders-kafka-to-sqs.json")).isEqualTo(0);
        assertThat(out()).contains("- route:").contains("id: orders-kafka-to-sqs")
                .contains("kafka:orders?").contains("caravan-sqs:orders-processed?");
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertThat(caravan("launch")).isEqualTo(2);
        assertThat(err()).contains("unknown command 'launch'");
        assertThat(caravan("run", "--bogus")).isEqualTo(2);
        assertThat(err()).contains("unknown option '--bogus'");
    }
}
