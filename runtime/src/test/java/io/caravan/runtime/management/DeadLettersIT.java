package io.caravan.runtime.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The console's dead-letter API against the four real brokers: a workflow per broker fails on
 * messages that are not JSON and dead-letters them to its broker's default destination. Reading
 * the dead letters takes none of them; a redrive of one selected message sends it back to the
 * workflow's source, where it fails and returns; and a redrive whose sends fail (its target
 * queue deleted under it) moves nothing and leaves every dead letter where it was.
 */
class DeadLettersIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static int management;
    static boolean rabbit;
    static boolean redis;
    static final String ID = TestBrokers.unique("dl");
    static final String GONE = ID + "-gone";
    static final String NATIVE = ID + "-n";

    /** A broker under test: its queue type, credential, source and default dead letter. */
    record Broker(String queueType, String credential, String source, String deadLetter) {
        @Override
        public String toString() {
            return queueType;
        }
    }

    static Stream<Broker> brokers() {
        return Stream.of(new Broker("kafka", "kafka", ID + "-k", ID + "-k.dlq"), new Broker("sqs", "sqs", ID + "-s", ID + "-s-dlq"),
                new Broker("rabbitmq", "rabbit", ID + "-r", ID + "-r.dlq"), new Broker("redis", "redis", ID + "-x", ID + "-x.dlq"));
    }

    @BeforeAll
    static void start() throws Exception {
        rabbit = Ports.answers(TestBrokers.RABBITMQ_HOST, TestBrokers.RABBITMQ_PORT);
        redis = Ports.answers(TestBrokers.REDIS_HOST, TestBrokers.REDIS_PORT);
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        TestBrokers.kafka().createTopic(ID + "-k", 1);
        TestBrokers.kafka().createTopic(ID + "-k.dlq", 1);
        TestBrokers.sqs().createQueue(ID + "-s");
        TestBrokers.sqs().createQueue(ID + "-s-dlq");
        TestBrokers.sqs().createQueue(GONE);
        for (Broker b : brokers().toList()) {
            if ((b.queueType().equals("rabbitmq") && !rabbit) || (b.queueType().equals("redis") && !redis)) {
                continue;
            }
            Files.writeString(workflows.resolve(b.queueType() + ".yaml"), """
                    id: dl-%1$s
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: %1$s, source: %2$s, credential_id: %3$s}}
                      - {id: shape, type: transform, config: {template: '{"x": "{{input.x}}"}'}}
                    edges: [{from: in, to: shape}]
                    """.formatted(b.queueType(), b.source(), b.credential()));
        }
        // a workflow that lets SQS dead-letter: the source queue's redrive policy names its DLQ
        var sqsClient = TestBrokers.sqs().client();
        String nativeDlqUrl = sqsClient.createQueue(q -> q.queueName(NATIVE + "-dlq")).queueUrl();
        String nativeDlqArn = sqsClient.getQueueAttributes(q -> q.queueUrl(nativeDlqUrl)
                .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN))
                .attributes().get(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN);
        sqsClient.createQueue(q -> q.queueName(NATIVE).attributes(Map.of(
                software.amazon.awssdk.services.sqs.model.QueueAttributeName.VISIBILITY_TIMEOUT, "1",
                software.amazon.awssdk.services.sqs.model.QueueAttributeName.REDRIVE_POLICY,
                "{\"deadLetterTargetArn\":\"" + nativeDlqArn + "\",\"maxReceiveCount\":\"2\"}")));
        Files.writeString(workflows.resolve("native.yaml"), """
                id: dl-native
                error_handling:
                  dead_letter: {native: true}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %s, credential_id: sqs, wait_time: 1s}}
                  - {id: shape, type: transform, config: {template: '{"x": "{{input.x}}"}'}}
                edges: [{from: in, to: shape}]
                """.formatted(NATIVE));
        // a workflow whose source is the redrive target that disappears
        Files.writeString(workflows.resolve("gone.yaml"), """
                id: dl-gone
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %s, credential_id: sqs}}
                  - {id: note, type: log, config: {message: "{{input}}"}}
                edges: [{from: in, to: note}]
                """.formatted(GONE));
        Path credentials = TestBrokers.writeCredentials(home.resolve("credentials.yaml"), ID);
        management = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()), "caravan.management.port", String.valueOf(management)))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
    }

    private static void require(Broker b) {
        if (b.queueType().equals("rabbitmq")) {
            TestBrokers.requireRabbitMq();
        } else if (b.queueType().equals("redis")) {
            TestBrokers.requireRedis();
        }
    }

    /** Sends through Caravan's own producer for the broker: the broker confirms it. */
    private static void send(Broker b, Object body) {
        String uri = Bindings.forQueueType(b.queueType()).orElseThrow()
                .producerUri(new Channel("dl-" + b.queueType(), "test", b.credential(), b.source(), null));
        var sent = runtime.context().createProducerTemplate().send(uri, e -> e.getIn().setBody(body));
        assertThat(sent.getException()).isNull();
    }

    private static JsonNode get(String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/console/api" + path))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static JsonNode post(String path, Object body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/console/api" + path))
                .header("X-Caravan-Console", "1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isIn(200, 207);
        return JSON.readTree(r.body());
    }

    private static String query(Broker b) {
        return "queue_type=" + b.queueType() + "&destination=" + URLEncoder.encode(b.deadLetter(), StandardCharsets.UTF_8)
                + "&credential_id=" + b.credential();
    }

    private static long count(Broker b) throws Exception {
        return get("/dead-letters/messages?" + query(b) + "&max=1").get("count").asLong();
    }

    private static List<String> ids(Broker b) throws Exception {
        List<String> out = new ArrayList<>();
        get("/dead-letters/messages?" + query(b) + "&max=50").get("messages").forEach(m -> out.add(m.get("id").asText()));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokers")
    void readingTakesNothingARedriveMovesTheSelectedOneBackAndAFailedRedriveLosesNothing(Broker b) throws Exception {
        require(b);
        // Kafka and RabbitMQ keep a body's bytes: the first poison is not UTF-8, and must come back unchanged
        boolean bytes = b.queueType().equals("kafka") || b.queueType().equals("rabbitmq");
        byte[] notText = {(byte) 0xff, (byte) 0xfe, 'p', 'o', 'i', 's', 'o', 'n', ' ', '1'};
        send(b, bytes ? notText : "poison 1");
        for (int i = 2; i <= 3; i++) {
            send(b, "poison " + i);
        }
        Await.until("three dead letters in " + b.deadLetter(), Duration.ofSeconds(60), () -> count(b) == 3);

        JsonNode page = get("/dead-letters/messages?" + query(b) + "&max=50");
        assertThat(page.get("messages")).hasSize(3);
        JsonNode first = page.get("messages").get(0);
        assertThat(first.get("body").asText()).contains("poison ");
        assertThat(first.at("/caravan/caravan-error-code").asText()).isEqualTo("TEMPLATE_VALUE_MISSING");
        assertThat(first.at("/caravan/caravan-workflow").asText()).isEqualTo("dl-" + b.queueType());
        // read twice: the same three are still there (SQS and RabbitMQ give them back at once)
        assertThat(ids(b)).containsExactlyInAnyOrderElementsOf(ids(b)).hasSize(3);
        assertThat(count(b)).isEqualTo(3);

        // a redrive that cannot send: the target queue is deleted under it
        var sqs = TestBrokers.sqs().client();
        sqs.deleteQueue(q -> q.queueUrl(sqs.getQueueUrl(u -> u.queueName(GONE)).queueUrl()));
        JsonNode failed = post("/dead-letters/redrive", Map.of("queue_type", b.queueType(), "destination", b.deadLetter(),
                "credential_id", b.credential(), "all", true,
                "target", Map.of("queue_type", "sqs", "address", GONE, "credential_id", "sqs", "workflow", "dl-gone")));
        assertThat(failed.get("moved").asInt()).isZero();
        assertThat(failed.get("stopped").asText()).contains("failed", "stay dead letters");
        Await.until("all three still dead letters after the failed redrive", Duration.ofSeconds(30), () -> count(b) == 3);
        TestBrokers.sqs().createQueue(GONE);

        // the oldest (Kafka redrives in order), back to the workflow's source: it fails again and returns
        String picked = null;
        for (JsonNode m : get("/dead-letters/messages?" + query(b) + "&max=50").get("messages")) {
            if (m.get("body").asText().contains("poison 1")) {
                picked = m.get("id").asText();
            }
        }
        assertThat(picked).as("poison 1 among the dead letters").isNotNull();
        String chosen = picked;
        JsonNode moved = post("/dead-letters/redrive", Map.of("queue_type", b.queueType(), "destination", b.deadLetter(),
                "credential_id", b.credential(), "ids", List.of(picked)));
        assertThat(moved.get("moved").asInt()).as(moved.toString()).isEqualTo(1);
        assertThat(moved.at("/target/address").asText()).isEqualTo(b.source());
        Await.until("the redriven message failed again and is back", Duration.ofSeconds(60),
                () -> count(b) == 3 && !ids(b).contains(chosen));
        List<String> now = ids(b);
        assertThat(now).hasSize(3).doesNotContain(picked);
        if (bytes) {
            // the redriven first poison (no longer there under its old id) went round with its bytes unchanged
            try (var q = Bindings.forQueueType(b.queueType()).orElseThrow().provisioner().deadLetters(runtime.context(),
                    new Channel("dl-" + b.queueType(), "test", b.credential(), b.deadLetter(), null))) {
                assertThat(q.browse(10)).anySatisfy(m -> assertThat((byte[]) m.metadata().get(io.caravan.binding.DeadLetterQueue.RAW))
                        .isEqualTo(notText));
            }
        }
        // all of them, back to the source: they fail again and return, and the redrive stops at the three
        // that waited when it began instead of taking the returning copies round and round
        JsonNode all = post("/dead-letters/redrive", Map.of("queue_type", b.queueType(), "destination", b.deadLetter(),
                "credential_id", b.credential(), "all", true));
        assertThat(all.get("moved").asInt()).as(all.toString()).isEqualTo(3);
        List<String> before = now;
        Await.until("the three are back as new dead letters", Duration.ofSeconds(60),
                () -> count(b) == 3 && ids(b).stream().noneMatch(before::contains));
        System.out.println("DEAD-LETTERS " + b.queueType() + ": 3 dead letters read twice, a failed redrive moved 0 and"
                + " kept 3, one redriven came back as a new dead letter");
    }

    @org.junit.jupiter.api.Test
    void anSqsQueuesOwnDeadLetterQueueIsListedBrowsedAndRedrivenToo() throws Exception {
        Broker b = new Broker("sqs", "sqs", NATIVE, NATIVE + "-dlq");
        var sqs = TestBrokers.sqs().client();
        sqs.sendMessage(m -> m.queueUrl(sqs.getQueueUrl(u -> u.queueName(NATIVE)).queueUrl()).messageBody("native poison"));
        // SQS moves it after two failed receives; the console finds the queue through the redrive policy
        Await.until("SQS moved the poison to its own DLQ", Duration.ofSeconds(60), () -> count(b) == 1);
        JsonNode listed = get("/dead-letters");
        assertThat(listed.findValuesAsText("destination")).contains(NATIVE + "-dlq");
        String first = ids(b).get(0);
        JsonNode moved = post("/dead-letters/redrive", Map.of("queue_type", "sqs", "destination", NATIVE + "-dlq",
                "credential_id", "sqs", "all", true));
        assertThat(moved.get("moved").asInt()).as(moved.toString()).isEqualTo(1);
        assertThat(moved.at("/target/address").asText()).isEqualTo(NATIVE);
        Await.until("it failed twice again and SQS moved it back", Duration.ofSeconds(60),
                () -> count(b) == 1 && !ids(b).contains(first));
    }
}
