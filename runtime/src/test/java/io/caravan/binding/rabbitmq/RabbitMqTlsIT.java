package io.caravan.binding.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.testing.Await;
import io.caravan.testing.LogCapture;
import io.caravan.testing.RabbitMqNode;
import io.caravan.testing.TestBrokers;
import io.caravan.testing.TlsRelayHome;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 7: amqps:// for real, against a RabbitMQ node the test starts with a TLS
 * listener and a generated certificate, trusted through the credential's {@code tls_ca_file}.
 * A relay consumes and publishes over TLS; a wrong password is CONNECTION_FAILED with the
 * broker's words and never the password; a certificate nobody trusted fails the handshake.
 */
class RabbitMqTlsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WRONG = "wrong-Pa55-9c1d";

    @TempDir
    static Path home;
    static RabbitMqNode rabbit;
    static CaravanRuntime runtime;
    static LogCapture log;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        rabbit = RabbitMqNode.startWithTls();
        String amqps = "amqps://guest:%s@localhost:" + rabbit.tlsPort;
        log = LogCapture.begin();
        runtime = TlsRelayHome.start(home, "rabbitmq", amqps, "guest", WRONG, rabbit.certificates.certificate());
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (runtime != null) {
                runtime.close();
            }
            if (log != null) {
                log.close();
            }
        } finally {
            if (rabbit != null) {
                rabbit.close();
            }
        }
    }

    @Test
    void aRelayConsumesAndPublishesOverTls() throws Exception {
        try (Connection plain = plainConnection(); var ch = plain.createChannel()) {
            Await.until("the relay's source declared", Duration.ofSeconds(30), () -> {
                try (var probe = plain.createChannel()) {
                    probe.queueDeclarePassive("tls-in");
                    return true;
                } catch (java.io.IOException missing) {
                    return false;
                }
            });
            ch.basicPublish("", "tls-in", null, "{\"over\": \"tls\"}".getBytes(StandardCharsets.UTF_8));
            AtomicReference<GetResponse> got = new AtomicReference<>();
            Await.until("relayed to tls-out", Duration.ofSeconds(30), () -> {
                try (var probe = plain.createChannel()) {
                    probe.queueDeclarePassive("tls-out");
                    got.set(probe.basicGet("tls-out", true));
                    return got.get() != null;
                } catch (java.io.IOException missing) {
                    return false;
                }
            });
            assertThat(JSON.readTree(got.get().getBody()).get("over").asText()).isEqualTo("tls");
        }
    }

    @Test
    void aWrongPasswordIsConnectionFailedWithoutThePassword() throws Exception {
        JsonNode error = post("send-wrong");
        assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("CONNECTION_FAILED");
        assertThat(error.get("message").asText()).as(error.toString()).contains("refused the login", "ACCESS_REFUSED")
                .doesNotContain(WRONG);
        assertThat(log.text()).doesNotContain(WRONG);
    }

    @Test
    void aCertificateNobodyTrustedFailsTheHandshake() throws Exception {
        JsonNode error = post("send-untrusted");
        assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("CONNECTION_FAILED");
        assertThat(error.get("message").asText()).as(error.toString()).contains("unable to find valid certification path");
    }

    private static Connection plainConnection() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost("127.0.0.1");
        factory.setPort(rabbit.tcpPort);
        return factory.newConnection("rabbitmq-tls-it");
    }

    private static JsonNode post(String workflow) throws Exception {
        HttpResponse<String> response = io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isGreaterThanOrEqualTo(500);
        return JSON.readTree(response.body()).get("error");
    }
}
