package io.caravan.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * idempotency against real stores (memory, Redis on 127.0.0.1:6379, PostgreSQL on
 * 127.0.0.1:5432/test): a logical message sent twice through SQS → SQS arrives once and both
 * copies are deleted; a run that fails keeps no key, so its redelivery is processed; two Caravan
 * instances sharing Redis as competing consumers process each key once.
 */
class IdempotencyIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REDIS_URL = "redis://127.0.0.1:6379";
    private static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";
    private static final String PG_USER = "postgres";

    @TempDir
    static Path home;
    @TempDir
    static Path otherHome;
    static CaravanRuntime runtime;
    static CaravanRuntime other;
    static HttpServer server;
    static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    static final String run = TestBrokers.unique("idem");
    static final String table = "caravan_processed_" + run.substring(5);

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // answers 500 to the first call on each path, 200 after: the first run fails, its redelivery succeeds
        server.createContext("/", exchange -> {
            int n = calls.computeIfAbsent(exchange.getRequestURI().getPath(), p -> new AtomicInteger()).incrementAndGet();
            exchange.sendResponseHeaders(n == 1 ? 500 : 200, -1);
            exchange.close();
        });
        server.start();
        String service = "http://127.0.0.1:" + server.getAddress().getPort();

        Path workflows = Files.createDirectories(home.resolve("workflows"));
        credentials(home);
        for (String store : List.of("memory", "redis", "jdbc")) {
            createQueue(run + "-in-" + store);
            createQueue(run + "-out-" + store);
            createQueue(run + "-fin-" + store);
            createQueue(run + "-fout-" + store);
            Files.writeString(workflows.resolve("dup-" + store + ".yaml"), """
                    id: %1$s-dup-%2$s
                    nodes:
                      - id: in
                        type: receive_message
                        config: {queue_type: sqs, source: %1$s-in-%2$s, wait_time: 1s, credential_id: sqs}
                        idempotency: %3$s
                      - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-out-%2$s, message: "{{input}}", credential_id: sqs}}
                    edges: [{from: in, to: out}]
                    """.formatted(run, store, block(store)));
            Files.writeString(workflows.resolve("fail-" + store + ".yaml"), """
                    id: %1$s-fail-%2$s
                    nodes:
                      - id: in
                        type: receive_message
                        config: {queue_type: sqs, source: %1$s-fin-%2$s, wait_time: 1s, credential_id: sqs}
                        idempotency: %3$s
                      - id: call
                        type: http
                        config: {method: POST, url: "%4$s/%2$s"}
                        error_handling:
                          retry: {max_attempts: 1, retry_on: [HTTP_5XX]}
                      - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-fout-%2$s, message: "{{input}}", credential_id: sqs}}
                    edges: [{from: in, to: call}, {from: call, to: out}]
                    """.formatted(run, store, block(store), service));
        }
        createQueue(run + "-compete-in");
        createQueue(run + "-compete-out");
        String compete = """
                id: %1$s-compete
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: %1$s-compete-in, wait_time: 1s, credential_id: sqs}
                    idempotency: {key: "{{input.order_id}}", store: redis, url: "%2$s", ttl: 10m}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-compete-out, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: out}]
                """.formatted(run, REDIS_URL);
        Files.writeString(workflows.resolve("compete.yaml"), compete);
        credentials(otherHome);
        Files.writeString(Files.createDirectories(otherHome.resolve("workflows")).resolve("compete.yaml"), compete);

        runtime = start(home);
        other = start(otherHome);
    }

    private static CaravanRuntime start(Path at) throws Exception {
        return CaravanRuntime.create(RuntimeOptions.defaults(at).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    private static void credentials(Path at) throws Exception {
        Files.createDirectories(at.resolve("config"));
        Files.writeString(at.resolve("config/credentials.yaml"), """
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                """.formatted(TestBrokers.sqs().endpoint()));
    }

    private static String block(String store) {
        return switch (store) {
            case "memory" -> "{key: \"{{input.order_id}}\", store: memory, max_entries: 100}";
            case "redis" -> "{key: \"{{input.order_id}}\", store: redis, url: \"" + REDIS_URL + "\", ttl: 10m}";
            default -> "{key: \"{{input.order_id}}\", store: jdbc, url: \"" + PG_URL + "\", user: " + PG_USER
                    + ", table: " + table + "}";
        };
    }

    @AfterAll
    static void stop() throws Exception {
        if (other != null) {
            other.close();
        }
        if (runtime != null) {
            runtime.close();
        }
        if (server != null) {
            server.stop(0);
        }
        try (Jedis redis = new Jedis("127.0.0.1", 6379)) {
            redis.keys("caravan:idempotency:" + run + "*").forEach(redis::del);
        }
        try (var db = DriverManager.getConnection(PG_URL, PG_USER, null)) {
            db.createStatement().execute("DROP TABLE IF EXISTS " + table);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "redis", "jdbc"})
    void aMessageSentTwiceArrivesOnceAndBothCopiesAreDeleted(String store) throws Exception {
        send(run + "-in-" + store, "{\"order_id\": \"o-1\", \"copy\": 1}");
        send(run + "-in-" + store, "{\"order_id\": \"o-2\", \"copy\": 1}");
        awaitEmpty(run + "-in-" + store);
        // the copy arrives once the first run is done: a trigger keeps many runs in flight, and
        // two copies in flight at the same moment can both run (keys are kept when a run finishes)
        send(run + "-in-" + store, "{\"order_id\": \"o-1\", \"copy\": 2}");
        awaitEmpty(run + "-in-" + store);
        List<String> orders = orderIds(drain(run + "-out-" + store));
        assertThat(orders).containsExactlyInAnyOrder("o-1", "o-2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "redis", "jdbc"})
    void aFailedRunKeepsNoKeySoItsRedeliveryIsProcessed(String store) throws Exception {
        send(run + "-fin-" + store, "{\"order_id\": \"f-1\"}");
        // the first run fails at the http node (500, no retry); its default dead letter <queue>-dlq does
        // not exist here, so the failure stands, the message is not deleted, and SQS redelivers it after 1 s
        Message out = BrokerClients.sqsReceiveOne(run + "-fout-" + store);
        assertThat(JSON.readTree(out.body()).get("order_id").asText()).isEqualTo("f-1");
        assertThat(calls.get("/" + store).get()).isEqualTo(2);
        awaitEmpty(run + "-fin-" + store);
        // the successful run recorded the key: a later copy is now a duplicate
        send(run + "-fin-" + store, "{\"order_id\": \"f-1\", \"copy\": 2}");
        awaitEmpty(run + "-fin-" + store);
        // (sqsReceiveOne leaves the first output in the queue; only the copy must be absent)
        assertThat(drain(run + "-fout-" + store)).map(Message::body).noneMatch(body -> body.contains("copy"));
        assertThat(calls.get("/" + store).get()).isEqualTo(2);
    }

    @Test
    void twoInstancesSharingRedisProcessEachKeyOnce() throws Exception {
        // second copies arrive after the first are done (keys are recorded when a run finishes, so
        // two copies in flight at the same instant may both run: at-least-once, by design)
        for (int copy = 1; copy <= 2; copy++) {
            for (int k = 1; k <= 10; k++) {
                send(run + "-compete-in", "{\"order_id\": \"c-" + k + "\", \"copy\": " + copy + "}");
            }
            awaitEmpty(run + "-compete-in");
        }
        List<String> orders = orderIds(drain(run + "-compete-out"));
        assertThat(orders).hasSize(10).doesNotHaveDuplicates();
    }

    private static void createQueue(String name) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            client.createQueue(b -> b.queueName(name).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1")));
        }
    }

    private static void send(String queue, String body) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            client.sendMessage(b -> b.queueUrl(url).messageBody(body));
        }
    }

    /** Waits (bounded) until every message of {@code queue} is deleted, in flight ones included. */
    private static void awaitEmpty(String queue) throws Exception {
        BrokerClients.sqsAwaitEmpty(queue);
    }

    /** Everything in {@code queue} now (the sends happened before the source was emptied). */
    private static List<Message> drain(String queue) {
        List<Message> all = new ArrayList<>();
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            while (true) {
                List<Message> batch = client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)
                        .waitTimeSeconds(1).visibilityTimeout(30)).messages();
                if (batch.isEmpty()) {
                    return all;
                }
                all.addAll(batch);
                batch.forEach(m -> client.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle())));
            }
        }
    }

    private static List<String> orderIds(List<Message> messages) throws Exception {
        List<String> out = new ArrayList<>();
        for (Message m : messages) {
            out.add(JSON.readTree(m.body()).get("order_id").asText());
        }
        return out;
    }
}
