package io.caravan.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.GetResponse;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.runtime.observe.Scrape;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * error_handling against real brokers: retries with the configured backoff, no retry for what
 * retry_on leaves out, and failed messages dead-lettered unchanged with their failure
 * attributes into Kafka, SQS and RabbitMQ, the source message acknowledged only after that.
 */
class ErrorHandlingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();
    private static final String BODY = "plain text, not JSON: <ü> \"quoted\" {{input.x}}";

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static HttpServer server;
    static final List<Instant> flakyCalls = new CopyOnWriteArrayList<>();
    static final AtomicInteger notFoundCalls = new AtomicInteger();
    static int port;
    static int managementPort;
    static int closedPort;
    static final String run = TestBrokers.unique("eh");

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/flaky", exchange -> {
            flakyCalls.add(Instant.now());
            int status = flakyCalls.size() <= 2 ? 503 : 200;
            byte[] body = ("{\"call\": " + flakyCalls.size() + "}").getBytes();
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.createContext("/missing", exchange -> {
            notFoundCalls.incrementAndGet();
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        server.start();
        closedPort = Ports.free();

        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), """
                kafka: {type: queue_kafka, brokers: ["%s"], consumer_group: %s}
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                rabbit: {type: queue_rabbitmq, url: "%s"}
                """.formatted(TestBrokers.kafka().bootstrapServers(), run, TestBrokers.sqs().endpoint(),
                TestBrokers.RABBITMQ_URL));
        String service = "http://127.0.0.1:" + server.getAddress().getPort();
        Files.writeString(workflows.resolve("retry-http.yaml"), """
                id: retry-http
                nodes:
                  - {id: hook, type: webhook}
                  - id: call
                    type: http
                    config: {method: POST, url: "%s/flaky"}
                    error_handling:
                      retry: {max_attempts: 3, initial_delay: 200ms, multiplier: 2, max_delay: 5s, retry_on: [HTTP_5XX]}
                edges: [{from: hook, to: call}]
                """.formatted(service));
        Files.writeString(workflows.resolve("no-retry-http.yaml"), """
                id: no-retry-http
                error_handling:
                  retry: {max_attempts: 5, initial_delay: 50ms, retry_on: [HTTP_5XX]}
                nodes:
                  - {id: hook, type: webhook}
                  - {id: call, type: http, config: {url: "%s/missing"}}
                edges: [{from: hook, to: call}]
                """.formatted(service));
        for (String broker : List.of("sqs", "kafka", "rabbit")) {
            String queueType = broker.equals("rabbit") ? "rabbitmq" : broker;
            TestBrokers.sqs().createQueue(run + "-in-" + broker);
            if (broker.equals("sqs")) {
                TestBrokers.sqs().createQueue(run + "-dlq-sqs");
            }
            if (broker.equals("rabbit")) {
                BrokerClients.rabbitDeclare(run + "-dlq-rabbit");
            }
            Files.writeString(workflows.resolve("dlq-" + broker + ".yaml"), """
                    id: dlq-%1$s
                    error_handling:
                      dead_letter: {queue_type: %2$s, destination: %3$s-dlq-%1$s, credential_id: %1$s}
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: sqs, source: %3$s-in-%1$s, wait_time: 1s, credential_id: sqs}}
                      - id: call
                        type: http
                        config: {url: "http://127.0.0.1:%4$d/down", timeout: 2s}
                        error_handling:
                          retry: {max_attempts: 2, initial_delay: 50ms, retry_on: [CONNECTION_FAILED]}
                    edges: [{from: in, to: call}]
                    """.formatted(broker, queueType, run, closedPort));
        }
        Files.writeString(workflows.resolve("kafka-poison.yaml"), """
                id: kafka-poison
                error_handling:
                  dead_letter: {queue_type: kafka, destination: %1$s-kafka-dlq, credential_id: kafka}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %1$s-kafka-in, credential_id: kafka}}
                  - {id: use, type: transform, config: {template: '{"id": "{{input.id}}"}'}}
                edges: [{from: in, to: use}]
                """.formatted(run));
        TestBrokers.kafka().createTopic(run + "-kp-in", 3);
        TestBrokers.kafka().createTopic(run + "-kp-dlq", 3);
        Files.writeString(workflows.resolve("kafka-partition.yaml"), """
                id: kafka-partition
                error_handling:
                  dead_letter: {queue_type: kafka, destination: %1$s-kp-dlq, credential_id: kafka}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %1$s-kp-in, credential_id: kafka}}
                  - {id: use, type: transform, config: {template: '{"id": "{{input.id}}"}'}}
                edges: [{from: in, to: use}]
                """.formatted(run));
        Files.writeString(workflows.resolve("kafka-default-dlq.yaml"), """
                id: kafka-default-dlq
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %1$s-kd-in, credential_id: kafka}}
                  - {id: use, type: transform, config: {template: '{"id": "{{input.id}}"}'}}
                edges: [{from: in, to: use}]
                """.formatted(run));
        Files.writeString(workflows.resolve("webhook-missing-queue.yaml"), """
                id: webhook-missing-queue
                error_handling:
                  retry: {max_attempts: 5, initial_delay: 50ms, retry_on: [CONNECTION_FAILED]}
                  dead_letter: {queue_type: sqs, destination: %1$s-dlq-webhook, credential_id: sqs}
                nodes:
                  - {id: hook, type: webhook}
                  - {id: send, type: send_message, config: {queue_type: sqs, destination: %1$s-no-such-queue, message: "{{input}}", credential_id: sqs}}
                edges: [{from: hook, to: send}]
                """.formatted(run));
        TestBrokers.sqs().createQueue(run + "-dlq-webhook");
        port = Ports.free();
        managementPort = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home)
                .withProperties(Map.of("caravan.http.port", String.valueOf(port),
                        "caravan.management.port", String.valueOf(managementPort),
                        "caravan.metrics.depth-interval", "1s"))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (server != null) {
            server.stop(0);
        }
        BrokerClients.rabbitDelete(run + "-dlq-rabbit");
    }

    @Test
    void retriesAFailingCallWithTheConfiguredBackoffUntilItSucceeds() throws Exception {
        HttpResponse<String> response = post("retry-http", "{}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).at("/output/response/call").asInt()).isEqualTo(3);
        assertThat(flakyCalls).hasSize(3);
        // lower bounds only: the waits are at least what was configured (200 ms, then 400 ms)
        assertThat(flakyCalls.get(1).toEpochMilli() - flakyCalls.get(0).toEpochMilli()).isGreaterThanOrEqualTo(190);
        assertThat(flakyCalls.get(2).toEpochMilli() - flakyCalls.get(1).toEpochMilli()).isGreaterThanOrEqualTo(390);
    }

    @Test
    void whatRetryOnLeavesOutIsNotRetried() throws Exception {
        HttpResponse<String> response = post("no-retry-http", "{}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).at("/output/status").asInt()).isEqualTo(404);
        assertThat(notFoundCalls.get()).isEqualTo(1);

        HttpResponse<String> failed = post("webhook-missing-queue", "{\"n\": 1}");
        assertThat(failed.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(failed.body()).at("/error/code").asText()).isEqualTo("QUEUE_NOT_FOUND");
        // not retried (QUEUE_NOT_FOUND is not in retry_on), dead-lettered at once
        Message letter = BrokerClients.sqsReceiveOne(run + "-dlq-webhook");
        assertThat(letter.body()).isEqualTo("{\"n\": 1}");
        assertThat(letter.messageAttributes().get("caravan-attempts").stringValue()).isEqualTo("1");
        assertThat(letter.messageAttributes().get("caravan-error-code").stringValue()).isEqualTo("QUEUE_NOT_FOUND");
    }

    @Test
    void deadLettersTheOriginalMessageIntoSqsWithTheFailure() throws Exception {
        sendToSource("sqs");
        Message letter = BrokerClients.sqsReceiveOne(run + "-dlq-sqs");
        assertThat(letter.body()).isEqualTo(BODY);
        Map<String, String> attributes = new java.util.HashMap<>();
        letter.messageAttributes().forEach((k, v) -> attributes.put(k, v.stringValue()));
        assertFailure(attributes, "dlq-sqs", "2", "CONNECTION_FAILED");
        awaitSourceEmpty("sqs");
        // the dead-letter queue's depth is measured too (the letter is in flight: we received it)
        Map<String, String> dlq = Map.of("workflow", "dlq-sqs", "node", "dead_letter", "destination", run + "-dlq-sqs");
        Scrape scrape = Scrape.await(managementPort, s -> Double.valueOf(1.0).equals(s.value("caravan_queue_in_flight", dlq)));
        assertThat(scrape.value("caravan_queue_depth", dlq)).isEqualTo(0.0);
    }

    @Test
    void deadLettersTheOriginalMessageIntoKafkaWithTheFailure() throws Exception {
        sendToSource("kafka");
        ConsumerRecord<String, String> letter = BrokerClients.kafkaReadOne(List.of(run + "-dlq-kafka"));
        assertThat(letter.value()).isEqualTo(BODY);
        Map<String, String> attributes = new java.util.HashMap<>();
        letter.headers().forEach(h -> attributes.put(h.key(), new String(h.value())));
        assertFailure(attributes, "dlq-kafka", "2", "CONNECTION_FAILED");
        awaitSourceEmpty("kafka");
    }

    @Test
    void deadLettersTheOriginalMessageIntoRabbitMqWithTheFailure() throws Exception {
        sendToSource("rabbit");
        GetResponse letter = BrokerClients.rabbitGet(run + "-dlq-rabbit");
        assertThat(new String(letter.getBody(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(BODY);
        Map<String, String> attributes = new java.util.HashMap<>();
        letter.getProps().getHeaders().forEach((k, v) -> attributes.put(k, String.valueOf(v)));
        assertFailure(attributes, "dlq-rabbit", "2", "CONNECTION_FAILED");
        awaitSourceEmpty("rabbit");
    }

    @Test
    void aKafkaPoisonRecordIsDeadLetteredWithItsKeyAndThePartitionMovesOn() throws Exception {
        BrokerClients.kafkaSend(run + "-kafka-in", "k-9", "not json at all", Map.of());
        BrokerClients.kafkaSend(run + "-kafka-in", "k-10", "{\"no_id\": true}", Map.of());
        // the second record behind it is processed (dead-lettered too): the partition did not stall;
        // the two keys run side by side (ordering: key), so their letters may come in either order
        List<ConsumerRecord<String, String>> letters = kafkaDeadLetters(2);
        ConsumerRecord<String, String> first = letters.stream().filter(r -> "k-9".equals(r.key())).findFirst().orElseThrow();
        assertThat(first.value()).isEqualTo("not json at all");
        assertThat(BrokerClients.header(first, "caravan-error-code")).isEqualTo("TEMPLATE_VALUE_MISSING");
        assertThat(BrokerClients.header(first, "caravan-attempts")).isEqualTo("1");
        assertThat(BrokerClients.header(first, "caravan-original-source")).startsWith("kafka:" + run + "-kafka-in");
    }

    @Test
    void aKafkaWorkflowWithoutADeadLetterUsesTopicDotDlqSoThePartitionMovesOn() throws Exception {
        BrokerClients.kafkaSend(run + "-kd-in", "k-1", "poison", Map.of());
        BrokerClients.kafkaSend(run + "-kd-in", "k-2", "{\"id\": 2}", Map.of());
        ConsumerRecord<String, String> letter = BrokerClients.kafkaReadOne(List.of(run + "-kd-in.dlq"));
        assertThat(letter.key()).isEqualTo("k-1");
        assertThat(BrokerClients.header(letter, "caravan-error-code")).isEqualTo("TEMPLATE_VALUE_MISSING");
        long deadline = System.currentTimeMillis() + 20_000;
        // the good record behind the poison one is processed: the exchange counter reaches 2
        var route = (org.apache.camel.api.management.mbean.ManagedRouteMBean) runtime.context()
                .getCamelContextExtension().getContextPlugin(org.apache.camel.api.management.ManagedCamelContext.class)
                .getManagedRoute("kafka-default-dlq");
        while (route.getExchangesCompleted() < 2 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(route.getExchangesCompleted()).isEqualTo(2);
    }

    @Test
    void aKafkaDeadLetterGoesToTheSamePartitionNumber() throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(p,
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.StringSerializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(run + "-kp-in", 2, "k-p2", "poison")).get();
        }
        ConsumerRecord<String, String> letter = BrokerClients.kafkaReadOne(List.of(run + "-kp-dlq"));
        assertThat(letter.partition()).isEqualTo(2);
        assertThat(letter.key()).isEqualTo("k-p2");
        assertThat(letter.value()).isEqualTo("poison");
    }

    /** The first {@code expected} records of the Kafka dead-letter topic: the keys k-9 and k-10, in any order. */
    private static List<ConsumerRecord<String, String>> kafkaDeadLetters(int expected) throws Exception {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        p.put("group.id", TestBrokers.unique("dlq-reader"));
        p.put("auto.offset.reset", "earliest");
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(p,
                new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.StringDeserializer())) {
            consumer.subscribe(List.of(run + "-kafka-dlq"));
            List<ConsumerRecord<String, String>> letters = new java.util.ArrayList<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (letters.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(500)).forEach(letters::add);
            }
            assertThat(letters).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("k-9", "k-10");
            return letters;
        }
    }

    private static void assertFailure(Map<String, String> attributes, String workflow, String attempts, String code) {
        assertThat(attributes).containsEntry("trace", "t-1")
                .containsEntry("caravan-error-code", code)
                .containsEntry("caravan-failed-node", "call")
                .containsEntry("caravan-workflow", workflow)
                .containsEntry("caravan-attempts", attempts);
        assertThat(attributes.get("caravan-error-message")).contains("127.0.0.1:" + closedPort);
        assertThat(attributes.get("caravan-original-source")).startsWith("sqs:" + run + "-in-");
        assertThat(Instant.parse(attributes.get("caravan-failed-at"))).isBefore(Instant.now().plusSeconds(1));
    }

    private static void sendToSource(String broker) {
        try (var client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(run + "-in-" + broker)).queueUrl();
            client.sendMessage(b -> b.queueUrl(url).messageBody(BODY).messageAttributes(Map.of("trace",
                    MessageAttributeValue.builder().dataType("String").stringValue("t-1").build())));
        }
    }

    private static void awaitSourceEmpty(String broker) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (BrokerClients.sqsMessagesLeft(run + "-in-" + broker) > 0) {
            assertThat(System.currentTimeMillis()).as("source message deleted after dead-lettering").isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private static HttpResponse<String> post(String workflow, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
