package io.caravan.runtime;

import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * What every example in workflows/ does with real brokers (in-process Kafka and ElasticMQ,
 * RabbitMQ on 127.0.0.1:5672, Redis on 127.0.0.1:6379), whatever runs them: Caravan's runtime
 * ({@link ExampleWorkflowsIT}) or a plain camel-main loading what {@code caravan compile} printed
 * ({@link PlainCamelExamplesIT}). The same messages must give the same results in both. Only the
 * credentials file differs from what ships: the same ids, pointing at the test brokers. Inbound
 * messages carry hostile control headers, which must not change where anything goes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ExampleScenarios {

    static final ObjectMapper JSON = new ObjectMapper();

    Path config;
    int port;
    EmbeddedKafka kafka;
    EmbeddedSqs sqs;

    /** The brokers the hub under test uses: in-process Kafka and ElasticMQ of its own or shared. */
    abstract EmbeddedKafka kafka();

    abstract EmbeddedSqs sqs();

    /** Starts what runs the examples, with this credentials file and webhooks on {@link #port}. */
    abstract void startHub(Path credentials) throws Exception;

    abstract void stopHub() throws Exception;

    @BeforeAll
    void start() throws Exception {
        TestBrokers.requireRabbitMq();
        TestBrokers.requireRedis();
        config = Files.createTempDirectory("caravan-examples");
        try (var redis = io.lettuce.core.RedisClient.create(TestBrokers.REDIS_URL).connect()) {
            // the examples' streams and the workflows' consumer groups on them, from earlier runs
            redis.sync().del("clicks", "clicks-enriched", "clicks.dlq", "audit", "heartbeats");
        }
        kafka = kafka();
        sqs = sqs();
        sqs.createQueue("orders-processed");
        sqs.createQueue("events-in");
        sqs.createQueue("payments.fifo");
        sqs.createQueue("payments-settled.fifo");
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            for (String q : List.of("payments", "payments-review", "order-lines", "order-lines-rejected")) {
                ch.queueDeclare(q, true, false, false, null);
                ch.queuePurge(q);
            }
        }
        Path credentials = config.resolve("credentials.yaml");
        Files.writeString(credentials, """
                kafka-local: {type: queue_kafka, brokers: ["%s"], consumer_group: examples-it}
                sqs-local: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: "${CARAVAN_IT_SECRET}"}
                rabbitmq-local: {type: queue_rabbitmq, url: "%s"}
                redis-local: {type: queue_redis, url: "%s"}
                """.formatted(kafka.bootstrapServers(), sqs.endpoint(), TestBrokers.RABBITMQ_URL, TestBrokers.REDIS_URL));
        port = Ports.free();
        startHub(credentials);
    }

    @AfterAll
    void stop() throws Exception {
        stopHub();
    }

    @Test
    void clicksFlowFromRedisToRedisAndAPoisonEntryGoesToTheStreamsDeadLetter() throws Exception {
        var client = io.lettuce.core.RedisClient.create(TestBrokers.REDIS_URL);
        try (var connection = client.connect()) {
            var redis = connection.sync();
            redis.xadd("clicks", Map.of("body", "{\"user\": \"ada\", \"page\": \"/pricing\"}",
                    "CamelHttpUri", "http://evil.example", "kafka.OVERRIDE_TOPIC", "stolen"));
            redis.xadd("clicks", Map.of("body", "not a click"));
            List<io.lettuce.core.StreamMessage<String, String>> enriched = List.of();
            List<io.lettuce.core.StreamMessage<String, String>> dead = List.of();
            long deadline = System.currentTimeMillis() + 30_000;
            while ((enriched.isEmpty() || dead.isEmpty()) && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
                enriched = redis.xrange("clicks-enriched", io.lettuce.core.Range.create("-", "+"));
                dead = redis.xrange("clicks.dlq", io.lettuce.core.Range.create("-", "+"));
            }
            assertThat(enriched).hasSize(1);
            JsonNode click = JSON.readTree(enriched.get(0).getBody().get("body"));
            assertThat(click.get("user").asText()).isEqualTo("ada");
            assertThat(click.get("page").asText()).isEqualTo("/pricing");
            assertThat(enriched.get(0).getBody()).containsKey("click-id").doesNotContainKeys("CamelHttpUri",
                    "kafka.OVERRIDE_TOPIC");
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).getBody()).containsEntry("body", "not a click")
                    .containsEntry("caravan-error-code", "TEMPLATE_VALUE_MISSING")
                    .containsEntry("caravan-workflow", "clicks-redis-to-redis");
        } finally {
            client.shutdown();
        }
    }

    /** The schedule fires (on this instance, the only one, which leads it) and its beat reaches Redis. */
    @Test
    void theHeartbeatScheduleFires() throws Exception {
        var client = io.lettuce.core.RedisClient.create(TestBrokers.REDIS_URL);
        try (var connection = client.connect()) {
            var redis = connection.sync();
            List<io.lettuce.core.StreamMessage<String, String>> beats = List.of();
            long deadline = System.currentTimeMillis() + 30_000;
            while (beats.isEmpty() && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
                beats = redis.xrange("heartbeats", io.lettuce.core.Range.create("-", "+"));
            }
            assertThat(beats).as("a beat within 30 s (every 10 s, after the leader is elected)").isNotEmpty();
            JsonNode beat = JSON.readTree(beats.get(0).getBody().get("body"));
            assertThat(beat.get("source").asText()).isEqualTo("caravan");
            assertThat(beat.get("at").asText()).isNotBlank();
        } finally {
            client.shutdown();
        }
    }

    @Test
    void anOrdersLinesGoOneByOneAndABrokenOrderTakesTheErrorBranch() throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("orders-batched", "o-7", """
                    {"order_id": "o-7", "lines": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}, {"sku": "C", "qty": 3},
                     {"sku": "D", "qty": 4}, {"sku": "E", "qty": 5}, {"sku": "F", "qty": 6}]}""")).get();
            // the third line has no sku: the order takes the error branch
            producer.send(new ProducerRecord<>("orders-batched", "o-8",
                    "{\"order_id\": \"o-8\", \"lines\": [{\"sku\": \"A\", \"qty\": 1}, {\"qty\": 2}]}")).get();
        }
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            List<JsonNode> lines = new java.util.ArrayList<>();
            JsonNode rejected = null;
            long deadline = System.currentTimeMillis() + 30_000;
            while ((lines.stream().filter(l -> l.get("order").asText().equals("o-7")).count() < 6 || rejected == null)
                    && System.currentTimeMillis() < deadline) {
                GetResponse line = ch.basicGet("order-lines", true);
                GetResponse reject = ch.basicGet("order-lines-rejected", true);
                if (line != null) {
                    lines.add(JSON.readTree(line.getBody()));
                }
                if (reject != null) {
                    rejected = JSON.readTree(reject.getBody());
                }
                if (line == null && reject == null) {
                    Thread.sleep(100);
                }
            }
            // o-7's six lines, each once (four at a time, so in any order); o-8's first line may have gone too, as
            // it ran beside the line that failed
            assertThat(lines.stream().filter(l -> l.get("order").asText().equals("o-7")).map(l -> l.get("sku").asText()
                    + l.get("qty").asInt() + "@" + l.get("line").asInt())).containsExactlyInAnyOrder("A1@0", "B2@1", "C3@2",
                    "D4@3", "E5@4", "F6@5");
            assertThat(rejected).as("o-8 on order-lines-rejected").isNotNull();
            assertThat(rejected.at("/order/order_id").asText()).isEqualTo("o-8");
            assertThat(rejected.get("error").asText()).isEqualTo("TEMPLATE_VALUE_MISSING");
            assertThat(rejected.get("node").asText()).isEqualTo("send-line");
            assertThat(rejected.get("reason").asText()).contains("each-line.item.sku");
        }
        // both records are done: the error branch handled o-8, so nothing is left to read again
        assertThat(awaitCommitted("examples-it.order-lines-kafka-to-rabbitmq", "orders-batched")).isEqualTo(endOffset("orders-batched"));
    }

    @Test
    void aShipmentGoesToKafkaAndThroughACalledWorkflowToRedisAtOnce() throws Exception {
        HttpResponse<String> response = io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/webhooks/shipments-webhook-fan-out"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"s-1\", \"carrier\": \"dhl\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode output = JSON.readTree(response.body()).get("output");
        assertThat(output.get("shipment").asText()).isEqualTo("s-1");
        // the join's output carries each branch's send: the Kafka offset id and the Redis entry id
        String auditId = output.get("audit").asText();
        assertThat(output.get("kafka").asText()).isNotBlank();
        try (var client = io.lettuce.core.RedisClient.create(TestBrokers.REDIS_URL).connect()) {
            var entries = client.sync().xrange("audit", io.lettuce.core.Range.create("-", "+"));
            assertThat(entries).hasSize(1);
            assertThat(entries.get(0).getId()).isEqualTo(auditId);
            assertThat(JSON.readTree(entries.get(0).getBody().get("body")))
                    .isEqualTo(JSON.readTree("{\"event\": \"shipment\", \"id\": \"s-1\"}"));
            assertThat(entries.get(0).getBody()).containsEntry("caller", "shipments-webhook-fan-out");
        }
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("auto.offset.reset", "earliest");
        p.put("group.id", "examples-it-shipments-reader");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("shipments"));
            List<String> got = new java.util.ArrayList<>();
            long deadline = System.currentTimeMillis() + 30_000;
            while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(500)).forEach(r -> got.add(r.value()));
            }
            assertThat(got).hasSize(1);
            assertThat(JSON.readTree(got.get(0))).isEqualTo(JSON.readTree("{\"id\": \"s-1\", \"carrier\": \"dhl\"}"));
        }
    }

    @Test
    void ordersFlowFromKafkaToSqs() throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>("orders", "o-1",
                    "{\"order_id\": \"o-1\", \"customer\": \"ada \\\"the\\\" first\"}");
            // hostile control headers: would redirect a naive Camel kafka/sqs producer
            record.headers().add("kafka.OVERRIDE_TOPIC", "stolen".getBytes(StandardCharsets.UTF_8));
            record.headers().add("CamelAwsSqsOperation", "deleteQueue".getBytes(StandardCharsets.UTF_8));
            producer.send(record).get();
        }
        Message message = BrokerClients.sqsReceiveOne(sqs, "orders-processed");
        JsonNode body = JSON.readTree(message.body());
        assertThat(body.get("order_id").asText()).isEqualTo("o-1");
        assertThat(body.get("customer").asText()).isEqualTo("ada \"the\" first");
        assertThat(body.get("received_at").asText()).isNotBlank();
        assertThat(message.messageAttributes()).containsKeys("source_topic", "kafka_id")
                .doesNotContainKeys("kafka.OVERRIDE_TOPIC", "CamelAwsSqsOperation");
        assertThat(message.messageAttributes().get("kafka_id").stringValue()).startsWith("orders-");
        assertThat(sqs.client().listQueues().queueUrls()).anyMatch(u -> u.endsWith("/orders-processed"));
        // the record is committed once its run finished, so a restart does not read it again
        assertThat(awaitCommitted("examples-it.orders-kafka-to-sqs", "orders")).isEqualTo(endOffset("orders"));

        // a record the workflow cannot use goes to orders.dlq unchanged, and the partition moves on
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("orders", "o-bad", "not an order")).get();
        }
        Properties r = new Properties();
        r.put("bootstrap.servers", kafka.bootstrapServers());
        r.put("group.id", TestBrokers.unique("dlq-reader"));
        r.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(r, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("orders.dlq"));
            ConsumerRecord<String, String> letter = null;
            long deadline = System.currentTimeMillis() + 30_000;
            while (letter == null && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> rec : consumer.poll(Duration.ofMillis(500))) {
                    letter = rec;
                }
            }
            assertThat(letter).as("a dead letter on orders.dlq").isNotNull();
            assertThat(letter.key()).isEqualTo("o-bad");
            assertThat(letter.value()).isEqualTo("not an order");
            assertThat(new String(letter.headers().lastHeader("caravan-error-code").value(), StandardCharsets.UTF_8))
                    .isEqualTo("TEMPLATE_VALUE_MISSING");
        }
        assertThat(awaitCommitted("examples-it.orders-kafka-to-sqs", "orders")).isEqualTo(endOffset("orders"));
    }

    @Test
    void eventsFlowFromSqsToKafkaKeyedByUser() throws Exception {
        SqsClient client = sqs.client();
        String url = client.getQueueUrl(b -> b.queueName("events-in")).queueUrl();
        client.sendMessage(b -> b.queueUrl(url).messageBody("{\"user_id\": \"u-7\", \"event\": \"login\"}")
                .messageAttributes(Map.of("kafka.OVERRIDE_TOPIC", MessageAttributeValue.builder()
                        .dataType("String").stringValue("stolen").build())));
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", TestBrokers.unique("reader"));
        p.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("events", "stolen"));
            ConsumerRecord<String, String> got = null;
            long deadline = System.currentTimeMillis() + 30_000;
            while (got == null && System.currentTimeMillis() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<String, String> r : records) {
                    assertThat(r.topic()).isEqualTo("events");
                    got = r;
                }
            }
            assertThat(got).as("a record on topic events").isNotNull();
            assertThat(got.key()).isEqualTo("u-7");
            JsonNode body = JSON.readTree(got.value());
            assertThat(body.get("event").asText()).isEqualTo("login");
            assertThat(body.get("sqs_message_id").asText()).isNotBlank();
            assertThat(new String(got.headers().lastHeader("origin").value(), StandardCharsets.UTF_8)).isEqualTo("sqs");
        }
    }

    @Test
    void paymentsWebhookRoutesByAmountToRabbitMq() throws Exception {
        HttpClient http = io.caravan.testing.HttpClients.http11();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/webhooks/payments-webhook-to-rabbitmq"))
                .header("Content-Type", "application/json")
                .header("CamelSpringRabbitmqRoutingOverrideKey", "stolen")
                .POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"p-1\", \"amount\": 2500}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode result = JSON.readTree(response.body());
        assertThat(result.at("/output/success").asBoolean()).isTrue();
        assertThat(result.at("/output/destination").asText()).isEqualTo("payments-review");
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            GetResponse got = BrokerClients.rabbitGet("payments-review");
            JsonNode body = JSON.readTree(got.getBody());
            assertThat(body.at("/payment/amount").asInt()).isEqualTo(2500);
            assertThat(got.getProps().getHeaders().get("payment_id").toString()).isEqualTo("p-1");
            assertThat(got.getProps().getMessageId()).isEqualTo(result.at("/output/message_id").asText());
            assertThat(ch.basicGet("payments", true)).isNull();
        }
    }

    @Test
    void signupsFlowFromAWorkflowThroughKafkaToAHandWrittenRouteAndOnToSqs() throws Exception {
        HttpResponse<String> response = io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/webhooks/signups-webhook-to-kafka"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"Ada\", \"email\": \"ada@example.com\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(response.body()).at("/output/success").asBoolean()).as(response.body()).isTrue();
        // routes/signups-welcome.camel.yaml creates its queue on first use
        long deadline = System.currentTimeMillis() + 30_000;
        while (sqs.client().listQueues().queueUrls().stream().noneMatch(u -> u.endsWith("/signups-welcome"))
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        Message message = BrokerClients.sqsReceiveOne(sqs, "signups-welcome");
        assertThat(message.body()).isEqualTo("Welcome aboard, Ada!");
        assertThat(message.messageAttributes().get("email").stringValue()).isEqualTo("ada@example.com");
    }

    private long endOffset(String topic) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            var partition = new org.apache.kafka.common.TopicPartition(topic, 0);
            return admin.listOffsets(Map.of(partition, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                    .partitionResult(partition).get().offset();
        }
    }

    /** The group's committed offset on partition 0 once it reaches the end, or the last seen after 20 s. */
    private long awaitCommitted(String group, String topic) throws Exception {
        long end = endOffset(topic);
        long committed = -1;
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            long deadline = System.currentTimeMillis() + 20_000;
            while (committed < end && System.currentTimeMillis() < deadline) {
                var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                var meta = offsets.get(new org.apache.kafka.common.TopicPartition(topic, 0));
                committed = meta == null ? -1 : meta.offset();
                Thread.sleep(200);
            }
        }
        return committed;
    }


}
