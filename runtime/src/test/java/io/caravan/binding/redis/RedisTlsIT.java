package io.caravan.binding.redis;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.testing.Await;
import io.caravan.testing.Certificates;
import io.caravan.testing.LogCapture;
import io.caravan.testing.Ports;
import io.caravan.testing.TlsRelayHome;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 7: rediss:// for real, against a redis-server the test starts with a TLS port
 * (a generated certificate, trusted through {@code tls_ca_file}) and a password. A relay reads
 * and writes streams over TLS; a wrong password is CONNECTION_FAILED in Redis's words without
 * the password; a certificate nobody trusted fails the connection.
 */
class RedisTlsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PASSWORD = "redis-Pa55-3e7f";
    private static final String WRONG = "wrong-Pa55-81aa";

    @TempDir
    static Path home;
    static Process server;
    static int plainPort;
    static CaravanRuntime runtime;
    static LogCapture log;
    static RedisClient plain;

    @BeforeAll
    static void start() throws Exception {
        Certificates certs = Certificates.create(home.resolve("tls"));
        plainPort = Ports.free();
        int tlsPort = Ports.free();
        server = new ProcessBuilder("redis-server", "--port", String.valueOf(plainPort), "--bind", "127.0.0.1",
                "--tls-port", String.valueOf(tlsPort), "--tls-cert-file", certs.certificate().toString(),
                "--tls-key-file", certs.key().toString(), "--tls-auth-clients", "no", "--requirepass", PASSWORD,
                "--save", "", "--appendonly", "no")
                .redirectErrorStream(true).redirectOutput(home.resolve("redis.log").toFile()).start();
        plain = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(plainPort)
                .withPassword(PASSWORD.toCharArray()).build());
        Await.until("redis-server with TLS answers", Duration.ofSeconds(30), () -> {
            try (StatefulRedisConnection<String, String> c = plain.connect()) {
                return "PONG".equals(c.sync().ping());
            } catch (Exception notYet) {
                return false;
            }
        });
        log = LogCapture.begin();
        runtime = TlsRelayHome.start(home, "redis", "rediss://:%s@localhost:" + tlsPort, PASSWORD, WRONG,
                certs.certificate());
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
            if (plain != null) {
                plain.shutdown();
            }
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aRelayReadsAndWritesStreamsOverTls() throws Exception {
        try (StatefulRedisConnection<String, String> c = plain.connect()) {
            c.sync().xadd("tls-in", Map.of("body", "{\"over\": \"tls\"}"));
            Await.until("relayed to tls-out", Duration.ofSeconds(30), () -> c.sync().xlen("tls-out") > 0);
            List<StreamMessage<String, String>> out = c.sync().xrange("tls-out", io.lettuce.core.Range.create("-", "+"));
            assertThat(JSON.readTree(out.get(0).getBody().get("body")).get("over").asText()).isEqualTo("tls");
        }
        assertThat(log.text()).doesNotContain(PASSWORD);
    }

    @Test
    void aWrongPasswordIsConnectionFailedWithoutThePassword() throws Exception {
        JsonNode error = post("send-wrong");
        assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("CONNECTION_FAILED");
        assertThat(error.get("message").asText()).as(error.toString()).contains("WRONGPASS").doesNotContain(WRONG);
        assertThat(log.text()).doesNotContain(WRONG);
    }

    @Test
    void aCertificateNobodyTrustedFailsTheConnection() throws Exception {
        JsonNode error = post("send-untrusted");
        assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("CONNECTION_FAILED");
        assertThat(error.get("message").asText()).as(error.toString()).contains("unable to find valid certification path");
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
