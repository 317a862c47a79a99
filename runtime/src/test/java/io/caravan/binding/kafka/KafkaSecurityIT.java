package io.caravan.binding.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Certificates;
import io.caravan.testing.LogCapture;
import io.caravan.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 7: Kafka credentials with SASL_PLAINTEXT and SASL_SSL, each with PLAIN and
 * SCRAM-SHA-512, against an in-process broker configured for them (a generated certificate,
 * trusted through {@code tls_ca_file}). Each credential carries a relay (its trigger consumes and
 * its send produces over the secured listener); a wrong password fails a send with
 * CONNECTION_FAILED in the broker's words, and no password reaches the log; a certificate
 * nobody trusted fails the TLS handshake (the trust is real, not "trust all").
 */
class KafkaSecurityIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PLAIN_PASSWORD = "plain-Pa55-4f1c9";
    private static final String SCRAM_PASSWORD = "scram-Pa55-77d2a";
    private static final String WRONG_PASSWORD = "wrong-Pa55-0b3e8";

    @TempDir
    static Path home;
    static EmbeddedKafka kafka;
    static CaravanRuntime runtime;
    static LogCapture log;

    /** name → (listener, mechanism, user, password) */
    static final Map<String, List<String>> CASES = Map.of(
            "sasl-plain", List.of("SASL_PLAINTEXT", "PLAIN", "caravan", PLAIN_PASSWORD),
            "sasl-scram", List.of("SASL_PLAINTEXT", "SCRAM-SHA-512", "scrammer", SCRAM_PASSWORD),
            "ssl-plain", List.of("SASL_SSL", "PLAIN", "caravan", PLAIN_PASSWORD),
            "ssl-scram", List.of("SASL_SSL", "SCRAM-SHA-512", "scrammer", SCRAM_PASSWORD));

    @BeforeAll
    static void start() throws Exception {
        Certificates certs = Certificates.create(home.resolve("tls"));
        kafka = EmbeddedKafka.startSecured(certs.certificate(), certs.key(), Map.of("caravan", PLAIN_PASSWORD));
        kafka.addScramUser("scrammer", SCRAM_PASSWORD);

        StringBuilder credentials = new StringBuilder();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        for (Map.Entry<String, List<String>> c : CASES.entrySet()) {
            List<String> v = c.getValue();
            boolean tls = v.get(0).equals("SASL_SSL");
            credentials.append(c.getKey()).append(": {type: queue_kafka, brokers: [\"").append(kafka.listener(v.get(0)))
                    .append("\"], consumer_group: ").append(c.getKey()).append(", sasl_mechanism: ").append(v.get(1))
                    .append(", sasl_username: ").append(v.get(2)).append(", sasl_password: \"").append(v.get(3))
                    .append("\", enable_tls: ").append(tls)
                    .append(tls ? ", tls_ca_file: \"" + certs.certificate() + "\"" : "").append("}\n");
            Files.writeString(workflows.resolve(c.getKey() + ".yaml"), """
                    id: relay-%1$s
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: kafka, source: in-%1$s, credential_id: %1$s}}
                      - {id: out, type: send_message, config: {queue_type: kafka, destination: out-%1$s, message: "{{input}}", credential_id: %1$s}}
                    edges: [{from: in, to: out}]
                    """.formatted(c.getKey()));
        }
        credentials.append("wrong: {type: queue_kafka, brokers: [\"").append(kafka.listener("SASL_PLAINTEXT"))
                .append("\"], consumer_group: wrong, sasl_mechanism: SCRAM-SHA-512, sasl_username: scrammer,")
                .append(" sasl_password: \"").append(WRONG_PASSWORD).append("\"}\n");
        // the broker's certificate, not trusted: no tls_ca_file, and the JVM's trust store does not know it
        credentials.append("untrusted: {type: queue_kafka, brokers: [\"").append(kafka.listener("SASL_SSL"))
                .append("\"], consumer_group: untrusted, sasl_mechanism: PLAIN, sasl_username: caravan,")
                .append(" sasl_password: \"").append(PLAIN_PASSWORD).append("\", enable_tls: true}\n");
        Files.writeString(workflows.resolve("untrusted.yaml"), """
                id: send-untrusted
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: out-untrusted, message: "{{input}}", credential_id: untrusted}}
                edges: [{from: hook, to: out}]
                """);
        Files.writeString(workflows.resolve("wrong.yaml"), """
                id: send-wrong
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: out-wrong, message: "{{input}}", credential_id: wrong}}
                edges: [{from: hook, to: out}]
                """);
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), credentials.toString());

        log = LogCapture.begin();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (runtime != null) {
                runtime.close();
            }
        } finally {
            if (log != null) {
                log.close();
            }
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    void eachSaslMechanismOnEachListenerConsumesAndProduces() throws Exception {
        for (String name : CASES.keySet()) {
            BrokerClients.kafkaSend(kafka.bootstrapServers(), "in-" + name, "k", "{\"case\": \"" + name + "\"}", Map.of());
        }
        for (String name : CASES.keySet()) {
            ConsumerRecord<String, String> relayed = BrokerClients.kafkaReadOne(kafka.bootstrapServers(),
                    List.of("out-" + name));
            assertThat(JSON.readTree(relayed.value()).get("case").asText()).as(name).isEqualTo(name);
        }
        assertThat(log.text()).doesNotContain(PLAIN_PASSWORD).doesNotContain(SCRAM_PASSWORD);
    }

    @Test
    void aWrongPasswordIsConnectionFailedInTheBrokersWordsWithoutThePassword() throws Exception {
        HttpResponse<String> response = post("send-wrong");
        JsonNode body = JSON.readTree(response.body());
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(body.at("/error/code").asText()).as(response.body()).isEqualTo("CONNECTION_FAILED");
        assertThat(body.at("/error/message").asText()).as(response.body())
                .contains("Authentication failed").doesNotContain(WRONG_PASSWORD);
        assertThat(log.text()).doesNotContain(WRONG_PASSWORD);
    }

    @Test
    void aCertificateNobodyTrustedFailsTheConnection() throws Exception {
        HttpResponse<String> response = post("send-untrusted");
        JsonNode body = JSON.readTree(response.body());
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        assertThat(body.at("/error/code").asText()).as(response.body()).isEqualTo("CONNECTION_FAILED");
        assertThat(body.at("/error/message").asText()).as(response.body()).contains("unable to find valid certification path");
    }

    private static HttpResponse<String> post(String workflow) throws Exception {
        return io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
