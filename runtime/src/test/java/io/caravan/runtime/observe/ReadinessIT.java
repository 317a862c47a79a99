package io.caravan.runtime.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /ready answers 503, saying why, while a broker a workflow sends to cannot be reached and while
 * a source holds more than its max_depth; /health stays 200 all the while. (MetricsIT checks the
 * 200 of a runtime whose brokers all answer.)
 */
class ReadinessIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static int managementPort;
    static int closedPort;
    static String deepQueue;

    @BeforeAll
    static void start() throws Exception {
        EmbeddedSqs sqs = TestBrokers.sqs();
        deepQueue = TestBrokers.unique("ready-deep");
        String url = sqs.createQueue(deepQueue);
        for (int i = 0; i < 6; i++) {
            sqs.client().sendMessage(b -> b.queueUrl(url).messageBody("{}"));
        }
        closedPort = Ports.free(); // nothing listens there
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        // a send node: the route starts although its broker cannot be reached
        Files.writeString(workflows.resolve("down-broker.yaml"), """
                id: down-broker
                nodes:
                  - {id: hook, type: webhook}
                  - id: out
                    type: send_message
                    config: {queue_type: kafka, destination: t, message: x, credential_id: kafka-closed}
                edges:
                  - {from: hook, to: out}
                """);
        // receive_message as a pull action: nothing drains the queue, so its depth stays 6
        Files.writeString(workflows.resolve("too-deep.yaml"), """
                id: too-deep
                nodes:
                  - {id: hook, type: webhook}
                  - id: pull
                    type: receive_message
                    config: {queue_type: sqs, source: %s, credential_id: sqs-test, max_depth: 5}
                edges:
                  - {from: hook, to: pull}
                """.formatted(deepQueue));
        Files.writeString(workflows.resolve("deep-enough.yaml"), """
                id: deep-enough
                nodes:
                  - {id: hook, type: webhook}
                  - id: pull
                    type: receive_message
                    config: {queue_type: sqs, source: %s, credential_id: sqs-test, max_depth: 6}
                edges:
                  - {from: hook, to: pull}
                """.formatted(deepQueue));
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, """
                kafka-closed: {type: queue_kafka, brokers: ["127.0.0.1:%d"], consumer_group: ready-it}
                sqs-test: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                """.formatted(closedPort, sqs.endpoint()));
        managementPort = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials)
                .withProperties(Map.of("caravan.http.port", String.valueOf(Ports.free()),
                        "caravan.management.port", String.valueOf(managementPort),
                        "caravan.metrics.depth-interval", "1s"))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    void notReadyWhileABrokerIsUnreachableOrASourceIsTooDeep() throws Exception {
        String message = awaitQueuesMessage(m -> m.contains("down-broker") && m.contains("too-deep"));
        HttpResponse<String> ready = Scrape.get(managementPort, "/ready");
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(JSON.readTree(ready.body()).get("status").asText()).isEqualTo("DOWN");
        assertThat(message)
                .contains("workflow 'down-broker' node 'out': cannot reach kafka at 127.0.0.1:" + closedPort)
                .contains("workflow 'too-deep' node 'pull': sqs source " + deepQueue
                        + " holds 6 messages, more than max_depth 5")
                .doesNotContain("deep-enough");
    }

    @Test
    void aliveAllTheSame() throws Exception {
        HttpResponse<String> health = Scrape.get(managementPort, "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).get("status").asText()).isEqualTo("UP");
    }

    @Test
    void theUnreachableBrokerShowsInTheMetricsToo() throws Exception {
        Map<String, String> labels = Map.of("workflow", "down-broker", "node", "out", "queue_type", "kafka");
        Map<String, String> deep = Map.of("workflow", "too-deep", "node", "pull", "source", deepQueue);
        // both series come from one probe pass, but not at the same instant: wait for both
        Scrape s = Scrape.await(managementPort, x -> x.value("caravan_broker_up", labels) != null
                && x.value("caravan_queue_depth", deep) != null);
        assertThat(s.value("caravan_broker_up", labels)).isZero();
        assertThat(s.value("caravan_queue_depth", deep)).isEqualTo(6);
    }

    /** The caravan-queues check's message once it satisfies {@code done}, or the last one after 60 s. */
    private static String awaitQueuesMessage(java.util.function.Predicate<String> done) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        String message = "";
        while (System.currentTimeMillis() < deadline) {
            JsonNode body = JSON.readTree(Scrape.get(managementPort, "/ready").body());
            for (JsonNode check : body.get("checks")) {
                if (check.get("id").asText().equals("caravan-queues") && check.has("message")) {
                    message = check.get("message").asText();
                }
            }
            if (done.test(message)) {
                return message;
            }
            Thread.sleep(200);
        }
        return message;
    }
}
