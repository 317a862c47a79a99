package io.caravan.runtime.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caravan's metrics as Prometheus scrapes them from the management port, for a Kafka to SQS
 * workflow and a webhook workflow running against the test brokers.
 */
class MetricsIT {

    private static final int N = 5;
    private static final String SECRET = "it-secret-do-not-print";

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static int httpPort;
    static int managementPort;
    static EmbeddedKafka kafka;
    static EmbeddedSqs sqs;
    static String topic;
    static String outQueue;
    static String preloaded;

    @BeforeAll
    static void start() throws Exception {
        kafka = TestBrokers.kafka();
        sqs = TestBrokers.sqs();
        topic = TestBrokers.unique("metrics-in");
        kafka.createTopic(topic, 1);
        outQueue = TestBrokers.unique("metrics-out");
        sqs.createQueue(outQueue);
        preloaded = TestBrokers.unique("metrics-preloaded");
        String preloadedUrl = sqs.createQueue(preloaded);
        for (int i = 0; i < 3; i++) {
            int n = i;
            sqs.client().sendMessage(b -> b.queueUrl(preloadedUrl).messageBody("{\"n\": " + n + "}"));
        }
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("k2s.yaml"), """
                id: k2s
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: kafka, source: %s, credential_id: kafka-test, max_depth: 1000}
                  - id: out
                    type: send_message
                    config: {queue_type: sqs, destination: %s, message: '{"got": {{input}}}', credential_id: sqs-test}
                edges:
                  - {from: in, to: out}
                """.formatted(topic, outQueue));
        Files.writeString(workflows.resolve("hooks.yaml"), """
                id: hooks
                nodes:
                  - id: hook
                    type: webhook
                  - id: out
                    type: send_message
                    config: {queue_type: sqs, destination: %s, message: '{"id": "{{input.id}}"}', credential_id: sqs-test}
                edges:
                  - {from: hook, to: out}
                """.formatted(preloaded));
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, """
                kafka-test: {type: queue_kafka, brokers: ["%s"], consumer_group: %s}
                sqs-test: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: "${CARAVAN_IT_SECRET}"}
                """.formatted(kafka.bootstrapServers(), TestBrokers.unique("metrics-it"), sqs.endpoint()));
        httpPort = Ports.free();
        managementPort = Ports.free();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("CARAVAN_IT_SECRET", SECRET);
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withEnv(env)
                .withProperties(Map.of("caravan.http.port", String.valueOf(httpPort),
                        "caravan.management.port", String.valueOf(managementPort),
                        "caravan.metrics.depth-interval", "500ms"))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    void countsWhatAWorkflowReceivedAndSentAndTimesItsNodes() throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < N; i++) {
                producer.send(new ProducerRecord<>(topic, "{\"n\": " + i + "}")).get();
            }
        }
        Map<String, String> sent = Map.of("workflow", "k2s", "node", "out", "queue_type", "sqs", "destination", outQueue);
        Scrape s = Scrape.await(managementPort, x -> Double.valueOf(N).equals(x.value("caravan_messages_sent_total", sent)));

        assertThat(s.value("caravan_messages_sent_total", sent)).isEqualTo(N);
        assertThat(s.value("caravan_messages_received_total",
                Map.of("workflow", "k2s", "node", "in", "queue_type", "kafka", "source", topic))).isEqualTo(N);
        assertThat(s.value("caravan_node_duration_seconds_count", Map.of("workflow", "k2s", "node", "out"))).isEqualTo(N);
        assertThat(s.value("caravan_messages_retried_total", Map.of("workflow", "k2s", "node", "out"))).isZero();
        assertThat(s.value("caravan_messages_dead_lettered_total", Map.of("workflow", "k2s", "node", "in"))).isZero();
        assertThat(s.value("caravan_messages_in_flight", Map.of("workflow", "k2s"))).isNotNull();
        // Camel's own route gauges share the registry and the scrape; its per-exchange metrics
        // are off (they cost more per message than a pipe's own work)
        assertThat(s.text()).contains("camel_routes_running").doesNotContain("camel_exchanges_total");
    }

    @Test
    void aFailedRunCountsAsFailedInItsNode() throws Exception {
        HttpResponse<String> response = io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + httpPort + "/webhooks/hooks"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"no_id\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.body()).contains("TEMPLATE_VALUE_MISSING");

        Map<String, String> failed = Map.of("workflow", "hooks", "node", "out", "code", "TEMPLATE_VALUE_MISSING");
        Scrape s = Scrape.await(managementPort, x -> x.value("caravan_messages_failed_total", failed) != null);
        assertThat(s.value("caravan_messages_failed_total", failed)).isEqualTo(1);
        assertThat(s.value("caravan_messages_received_total",
                Map.of("workflow", "hooks", "node", "hook", "queue_type", "webhook"))).isEqualTo(1);
        assertThat(s.value("caravan_messages_sent_total", Map.of("workflow", "hooks", "node", "out"))).isZero();
        assertThat(s.value("caravan_node_duration_seconds_count", Map.of("workflow", "hooks", "node", "out"))).isEqualTo(1);
    }

    @Test
    void queueDepthShowsWhatWaitsInAQueue() throws Exception {
        Map<String, String> depth = Map.of("workflow", "hooks", "node", "out", "queue_type", "sqs",
                "destination", preloaded, "source", "");
        Map<String, String> kafkaUp = Map.of("workflow", "k2s", "node", "in", "queue_type", "kafka");
        Scrape s = Scrape.await(managementPort, x -> Double.valueOf(3).equals(x.value("caravan_queue_depth", depth))
                && x.value("caravan_broker_up", kafkaUp) != null);
        assertThat(s.value("caravan_queue_depth", depth)).isEqualTo(3);
        assertThat(s.value("caravan_queue_in_flight", depth)).isZero();
        assertThat(s.value("caravan_broker_up", kafkaUp)).isEqualTo(1);
    }

    @Test
    void healthAndReadinessAreUpWhenEveryBrokerAnswers() throws Exception {
        HttpResponse<String> health = Scrape.get(managementPort, "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");

        long deadline = System.currentTimeMillis() + 60_000;
        HttpResponse<String> ready = Scrape.get(managementPort, "/ready");
        while (ready.statusCode() != 200 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            ready = Scrape.get(managementPort, "/ready");
        }
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        assertThat(ready.body()).contains("\"id\":\"caravan-queues\",\"status\":\"UP\"");
    }

    @Test
    void noCredentialValueIsInTheScrape() throws Exception {
        Scrape s = Scrape.await(managementPort, x -> x.value("caravan_queue_depth", Map.of("workflow", "k2s", "node", "out")) != null);
        assertThat(s.text()).contains("caravan_queue_depth").doesNotContain(SECRET);
    }
}
