package io.caravan.credential;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.source.Diagnostic;
import io.caravan.workflow.TestBindings;
import io.caravan.source.InvalidFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialStoreTest {

    /** Every registered broker\'s credential type, as the loader lists them. */
    private static final String TYPES = String.join(", ", TestBindings.CREDENTIAL_SPECS.stream()
            .map(io.caravan.spec.CredentialSpec::type).toList());

    private static final Map<String, String> ENV = Map.of(
            "SQS_KEY", "AKIAEXAMPLE",
            "SQS_SECRET", "wJalrXUtnFEMI-secret",
            "KAFKA_BROKERS", "k1:9092, k2:9092",
            "KAFKA_TLS", "true",
            "RABBIT_PASS", "hunter2");

    @TempDir
    Path dir;

    private CredentialStore load(String yaml) throws IOException {
        Path file = dir.resolve("credentials.yaml");
        Files.writeString(file, yaml);
        return CredentialStore.load(file, "config/credentials.yaml", TestBindings.CREDENTIAL_SPECS, ENV);
    }

    private List<String> errors(String yaml) throws IOException {
        try {
            load(yaml);
            return List.of();
        } catch (InvalidFileException e) {
            return e.diagnostics().stream().map(Diagnostic::format).toList();
        }
    }

    @Test
    void loadsEachTypeWithValuesFromTheEnvironment() throws IOException {
        CredentialStore store = load("""
                sqs-main:
                  type: queue_aws_sqs
                  region: us-east-1
                  access_key_id: ${SQS_KEY}
                  secret_access_key: ${SQS_SECRET}
                kafka-main:
                  type: queue_kafka
                  brokers: ${KAFKA_BROKERS}
                  consumer_group: caravan
                  enable_tls: ${KAFKA_TLS}
                kafka-list:
                  type: queue_kafka
                  brokers: [a:9092, b:9092]
                  consumer_group: g
                  enable_tls: false
                rabbit:
                  type: queue_rabbitmq
                  url: amqp://guest:${RABBIT_PASS}@localhost:5672/
                """);

        assertThat(store.ids()).containsExactly("sqs-main", "kafka-main", "kafka-list", "rabbit");
        Credential sqs = store.find("sqs-main").orElseThrow();
        assertThat(sqs.type()).isEqualTo("queue_aws_sqs");
        assertThat(sqs.string("access_key_id")).isEqualTo("AKIAEXAMPLE");
        assertThat(sqs.string("secret_access_key")).isEqualTo("wJalrXUtnFEMI-secret");
        assertThat(sqs.toString()).doesNotContain("wJalrXUtnFEMI-secret").doesNotContain("AKIAEXAMPLE");
        assertThat(store.find("kafka-main").orElseThrow().get("brokers")).isEqualTo(List.of("k1:9092", "k2:9092"));
        assertThat(store.find("kafka-main").orElseThrow().get("enable_tls")).isEqualTo(true);
        assertThat(store.find("kafka-list").orElseThrow().get("brokers")).isEqualTo(List.of("a:9092", "b:9092"));
        assertThat(store.find("kafka-list").orElseThrow().get("enable_tls")).isEqualTo(false);
        assertThat(store.find("rabbit").orElseThrow().string("url")).isEqualTo("amqp://guest:hunter2@localhost:5672/");
        assertThat(store.find("nope")).isEmpty();
    }

    @Test
    void emptyFileIsAnEmptyStore() throws IOException {
        assertThat(load("# no credentials yet\n").all()).isEmpty();
        assertThat(CredentialStore.empty().all()).isEmpty();
    }

    @Test
    void unsetVariableIsNamedWithItsPlace() throws IOException {
        assertThat(errors("""
                rabbit:
                  type: queue_rabbitmq
                  url: amqp://guest:${RABBIT_PASSWORD}@localhost/
                """)).containsExactly("config/credentials.yaml:3:8: error: environment variable RABBIT_PASSWORD"
                + " is not set (needed by url) (at $.rabbit.url)");
    }

    @Test
    void unknownTypeListsTheTypes() throws IOException {
        assertThat(errors("""
                q:
                  type: queue_sqs
                """)).containsExactly("config/credentials.yaml:2:9: error: unknown credential type 'queue_sqs';"
                + " valid types: " + TYPES + " (at $.q.type)");
    }

    @Test
    void missingTypeListsTheTypes() throws IOException {
        assertThat(errors("""
                q:
                  region: us-east-1
                """)).containsExactly("config/credentials.yaml:2:3: error: credential 'q' is missing required key"
                + " 'type'; valid types: " + TYPES + " (at $.q)");
    }

    @Test
    void unknownFieldListsTheFields() throws IOException {
        assertThat(errors("""
                q:
                  type: queue_aws_sqs
                  regoin: us-east-1
                  region: us-east-1
                  access_key_id: a
                  secret_access_key: b
                """)).containsExactly("config/credentials.yaml:3:3: error: unknown key 'regoin' in queue_aws_sqs"
                + " credential 'q'; valid keys: type, region, access_key_id, secret_access_key, endpoint (at $.q.regoin)");
    }

    @Test
    void missingRequiredFields() throws IOException {
        assertThat(errors("""
                k:
                  type: queue_kafka
                  brokers: [a:9092]
                """)).containsExactly("config/credentials.yaml:2:3: error: queue_kafka credential 'k' is missing"
                + " required key 'consumer_group' (at $.k)");
    }

    @Test
    void wrongKindsAreErrorsThatNeverShowSecrets() throws IOException {
        List<String> errors = errors("""
                k:
                  type: queue_kafka
                  brokers: {a: 1}
                  consumer_group: g
                  enable_tls: maybe
                  sasl_password: 12345678
                s:
                  type: queue_aws_sqs
                  region: 5
                  access_key_id: [AKIA-LEAK]
                  secret_access_key: ${SQS_SECRET}
                """);
        assertThat(errors).containsExactly(
                "config/credentials.yaml:3:12: error: brokers must be a list of strings, got an object (at $.k.brokers)",
                "config/credentials.yaml:5:15: error: enable_tls must be true or false, got \"maybe\" (at $.k.enable_tls)",
                "config/credentials.yaml:6:18: error: sasl_password must be a string, got a number (at $.k.sasl_password)",
                "config/credentials.yaml:9:11: error: region must be a string, got 5 (at $.s.region)",
                "config/credentials.yaml:10:18: error: access_key_id must be a string, got a list (at $.s.access_key_id)");
        assertThat(String.join("\n", errors)).doesNotContain("12345678").doesNotContain("AKIA-LEAK")
                .doesNotContain("wJalrXUtnFEMI-secret");
    }

    @Test
    void credentialMustBeAnObject() throws IOException {
        assertThat(errors("q: queue_aws_sqs\n")).containsExactly("config/credentials.yaml:1:4: error: credential 'q'"
                + " must be an object with a type and its fields, got a string (at $.q)");
        assertThat(errors("- a\n")).containsExactly("config/credentials.yaml:1:1: error: credentials file must map"
                + " credential ids to {type: ..., fields}, got a list (at $)");
    }
}
