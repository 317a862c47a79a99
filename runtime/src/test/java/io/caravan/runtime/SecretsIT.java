package io.caravan.runtime;

import io.caravan.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.compile.YamlPrinter;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialStore;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.testing.LogCapture;
import io.caravan.testing.SecretScan;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.logging.log4j.Level;
import org.apache.qpid.server.SystemLauncher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the credentials contract: a secret taken from the environment reaches the brokers and
 * nothing else. One runtime holds webhook workflows that send with an SQS credential (secret
 * keys), RabbitMQ credentials whose URL password is the secret (accepted by an in-process AMQP
 * broker, refused by it, and aimed at a closed port) and a Kafka credential whose SASL password is
 * the secret (the test Kafka speaks PLAINTEXT, so its SASL handshake fails). The secret must
 * appear in none of: the log output (our loggers and Camel's at DEBUG), the compiled YAML, any
 * readable attribute of any MBean, the webhook responses (successes and failures), and
 * Credential.toString(). Each scan is also shown to find a harmless marker (a workflow id), so
 * a scan that silently saw nothing cannot pass.
 */
class SecretsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Distinctive and random: found anywhere means leaked, never a coincidence. */
    private static final String SECRET = "sEcReT" + UUID.randomUUID().toString().replace("-", "");

    @TempDir
    Path home;

    @Test
    void secretsReachTheBrokersAndNothingElse() throws Exception {
        EmbeddedSqs sqs = TestBrokers.sqs();
        sqs.createQueue("secrets-in");
        EmbeddedKafka kafka = TestBrokers.kafka();
        int amqpPort = Ports.free();
        int closedPort = Ports.free();
        SystemLauncher amqp = startAmqpWithPassword(amqpPort, SECRET);
        try {
            Path credentials = home.resolve("credentials.yaml");
            Files.writeString(credentials, """
                    sqs-secret: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: "${CARAVAN_IT_SECRET}", secret_access_key: "${CARAVAN_IT_SECRET}"}
                    rabbit-ok: {type: queue_rabbitmq, url: "amqp://caravan:${CARAVAN_IT_SECRET}@127.0.0.1:%d"}
                    rabbit-refused: {type: queue_rabbitmq, url: "amqp://caravan:${CARAVAN_IT_SECRET}-wrong@127.0.0.1:%d"}
                    rabbit-down: {type: queue_rabbitmq, url: "amqp://caravan:${CARAVAN_IT_SECRET}@127.0.0.1:%d"}
                    kafka-sasl: {type: queue_kafka, brokers: ["%s"], consumer_group: secrets-it, sasl_mechanism: PLAIN, sasl_username: caravan, sasl_password: "${CARAVAN_IT_SECRET}"}
                    """.formatted(sqs.endpoint(), amqpPort, amqpPort, closedPort, kafka.bootstrapServers()));
            Path workflows = Files.createDirectories(home.resolve("workflows"));
            Map<String, String> sends = new LinkedHashMap<>();
            sends.put("secrets-sqs", send("sqs", "secrets-in", "sqs-secret"));
            sends.put("secrets-sqs-missing", send("sqs", "no-such-queue-" + UUID.randomUUID(), "sqs-secret"));
            sends.put("secrets-rabbit", send("rabbitmq", "secrets-q", "rabbit-ok"));
            sends.put("secrets-rabbit-refused", send("rabbitmq", "secrets-q", "rabbit-refused"));
            sends.put("secrets-rabbit-down", send("rabbitmq", "secrets-q", "rabbit-down"));
            sends.put("secrets-kafka", send("kafka", "secrets-topic", "kafka-sasl"));
            for (Map.Entry<String, String> e : sends.entrySet()) {
                Files.writeString(workflows.resolve(e.getKey() + ".json"), """
                        {"id": "%s", "name": "send with a secret credential",
                         "nodes": [{"id": "hook", "type": "webhook"}, %s],
                         "edges": [{"from": "hook", "to": "out"}]}
                        """.formatted(e.getKey(), e.getValue()));
            }
            // our own value, not failsafe's CARAVAN_IT_SECRET: distinctive, and the test runs from an IDE too
            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("CARAVAN_IT_SECRET", SECRET);
            int port = Ports.free();
            RuntimeOptions options = RuntimeOptions.defaults(home).withCredentials(credentials).withEnv(env)
                    .withProperties(Map.of("caravan.http.port", String.valueOf(port),
                        "caravan.management.port", String.valueOf(Ports.free())));

            Map<String, Level> before = SecretScan.debug("io.caravan", "caravan", "org.apache.camel",
                    "org.springframework.amqp", "org.apache.kafka", "io.lettuce");
            Map<String, String> responses = new LinkedHashMap<>();
            String yaml;
            String jmx;
            String logs;
            try (LogCapture capture = LogCapture.begin()) {
                try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
                    for (String workflow : sends.keySet()) {
                        HttpResponse<String> r = post(port, workflow, "{\"n\": 1}");
                        responses.put(workflow, r.statusCode() + " " + r.body());
                    }
                    yaml = YamlPrinter.print(runtime.workflows());
                    jmx = SecretScan.jmx();
                }
                logs = capture.text();
            } finally {
                SecretScan.restore(before);
            }

            // the sends with the right secret worked: the secret did reach the brokers
            assertThat(status(responses.get("secrets-sqs"))).as(responses.get("secrets-sqs")).isEqualTo(200);
            assertThat(status(responses.get("secrets-rabbit"))).as(responses.get("secrets-rabbit")).isEqualTo(200);
            // the others failed with an error body that explains why without the secret
            for (String failing : List.of("secrets-sqs-missing", "secrets-rabbit-refused", "secrets-rabbit-down",
                    "secrets-kafka")) {
                String r = responses.get(failing);
                assertThat(status(r)).as(r).isGreaterThanOrEqualTo(400);
                JsonNode body = JSON.readTree(r.substring(4));
                assertThat(body.get("status").asText()).as(r).isEqualTo("failed");
                assertThat(body.at("/error/message").asText()).as(r).isNotBlank();
            }
            assertThat(JSON.readTree(responses.get("secrets-sqs-missing").substring(4)).at("/error/code").asText())
                    .isEqualTo("QUEUE_NOT_FOUND");
            assertThat(JSON.readTree(responses.get("secrets-rabbit-down").substring(4)).at("/error/code").asText())
                    .isEqualTo("CONNECTION_FAILED");

            // the scans work: each one sees what it should
            assertThat(logs).contains("secrets-rabbit-down");
            assertThat(yaml).contains("secrets-kafka", "#caravan-credential-kafka-sasl");
            assertThat(jmx).contains("secrets-rabbit-refused");

            // ... and none of them sees the secret
            assertNoSecret("log output", logs);
            assertNoSecret("compiled YAML", yaml);
            assertNoSecret("JMX attributes", jmx);
            responses.forEach((workflow, response) -> assertNoSecret("response of " + workflow, response));
            CredentialStore store = WorkflowSet.loadCredentials(options);
            assertThat(store.all()).hasSize(5);
            for (Credential c : store.all()) {
                assertThat(c.toString()).contains(c.id());
                assertNoSecret("Credential.toString() of " + c.id(), c.toString());
            }
        } finally {
            amqp.shutdown();
        }
    }

    private static String send(String queueType, String destination, String credential) {
        return """
                {"id": "out", "type": "send_message", "config": {"queue_type": "%s", "destination": "%s",
                 "credential_id": "%s", "message": "{{input}}"}}""".formatted(queueType, destination, credential);
    }

    private static void assertNoSecret(String where, String text) {
        SecretScan.assertNoSecret(SECRET, where, text);
    }

    /** An in-process AMQP 0-9-1 broker whose only user, caravan, has {@code password}. */
    private SystemLauncher startAmqpWithPassword(int port, String password) throws Exception {
        Path dir = Files.createDirectories(home.resolve("qpid"));
        Path config = dir.resolve("config.json");
        String text = new String(io.caravan.brokers.EmbeddedAmqp.class.getResourceAsStream("qpid-config.json").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        Files.writeString(config, text.replace("\"name\": \"guest\", \"type\": \"managed\", \"password\": \"guest\"",
                "\"name\": \"caravan\", \"type\": \"managed\", \"password\": \"" + password + "\""));
        assertThat(Files.readString(config)).contains(password);
        Map<String, Object> context = new HashMap<>();
        context.put("qpid.amqp_port", String.valueOf(port));
        context.put("qpid.work_dir", dir.toString());
        context.put("qpid.home_dir", dir.toString());
        Map<String, Object> attributes = new HashMap<>();
        attributes.put("type", "Memory");
        attributes.put("initialConfigurationLocation", config.toUri().toString());
        attributes.put("startupLoggedToSystemOut", false);
        attributes.put("context", context);
        SystemLauncher launcher = new SystemLauncher();
        launcher.startup(attributes);
        return launcher;
    }

    private static int status(String response) {
        return Integer.parseInt(response.substring(0, 3));
    }

    static HttpResponse<String> post(int port, String workflow, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

}
