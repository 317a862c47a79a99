package io.caravan.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * idempotency against real stores (memory, Redis on 127.0.0.1:6379, PostgreSQL on
 * 127.0.0.1:5432/test): a logical message sent twice through SQS → SQS arrives once and both
 * copies are deleted; a run that fails keeps no key, so its redelivery is processed; two copies
 * in flight at the same moment, in one instance or in two, run once; a claim left by an instance
 * that died holds a copy back only until its lease runs out; two Caravan instances sharing Redis
 * as competing consumers process each key once.
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
    static final RedisClient redisClient = RedisClient.create(REDIS_URL);

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        // /slow/...: 200 after 1.5 s, so that copies overlap; any other path: 500 to the first call, 200
        // after (the first run fails, its redelivery succeeds)
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            int n = calls.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            if (path.startsWith("/slow/")) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.sendResponseHeaders(200, -1);
            } else {
                exchange.sendResponseHeaders(n == 1 ? 500 : 200, -1);
            }
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
            createQueue(run + "-slow-" + store, 30);
            createQueue(run + "-sout-" + store);
            Files.writeString(workflows.resolve("slow-" + store + ".yaml"), slow(run + "-slow-" + store,
                    run + "-slow-" + store, run + "-sout-" + store, block(store), service + "/slow/" + store));
        }
        // one workflow (one key namespace) on two instances, each reading its own queue, so that
        // copies sent to both at once are in flight on both; a 1 s lease, shorter than a run
        for (String store : List.of("redis", "jdbc")) {
            createQueue(run + "-sha-" + store, 30);
            createQueue(run + "-shb-" + store, 30);
            createQueue(run + "-shout-" + store);
            String plain = block(store);
            String block = plain.substring(0, plain.length() - 1) + ", lease: 1s}";
            String id = run + "-shared-" + store;
            String url = service + "/slow/shared-" + store;
            Files.writeString(workflows.resolve("shared-" + store + ".yaml"),
                    slow(id, run + "-sha-" + store, run + "-shout-" + store, block, url));
            Files.createDirectories(otherHome.resolve("workflows"));
            Files.writeString(otherHome.resolve("workflows/shared-" + store + ".yaml"),
                    slow(id, run + "-shb-" + store, run + "-shout-" + store, block, url));
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

    /** SQS → http (slow) → SQS, keyed by order_id. */
    private static String slow(String id, String source, String destination, String block, String url) {
        return """
                id: %1$s
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: %2$s, wait_time: 1s, credential_id: sqs}
                    idempotency: %4$s
                  - {id: call, type: http, config: {method: POST, url: "%5$s/{{input.order_id}}"}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %3$s, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: call}, {from: call, to: out}]
                """.formatted(id, source, destination, block, url);
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
        try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
            redis.sync().keys("caravan:idempotency:" + run + "*").forEach(k -> redis.sync().del(k));
        }
        redisClient.shutdown();
        try (var db = DriverManager.getConnection(PG_URL, PG_USER, null)) {
            db.createStatement().execute("DROP TABLE IF EXISTS " + table);
            db.createStatement().execute("DROP TABLE IF EXISTS " + table + "_claims");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"memory", "redis", "jdbc"})
    void aMessageSentTwiceArrivesOnceAndBothCopiesAreDeleted(String store) throws Exception {
        send(run + "-in-" + store, "{\"order_id\": \"o-1\", \"copy\": 1}");
        send(run + "-in-" + store, "{\"order_id\": \"o-2\", \"copy\": 1}");
        awaitEmpty(run + "-in-" + store);
        // the copy arrives once the first run is done (copies in flight together: below)
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
        // second copies arrive after the first are done, to either instance
        for (int copy = 1; copy <= 2; copy++) {
            for (int k = 1; k <= 10; k++) {
                send(run + "-compete-in", "{\"order_id\": \"c-" + k + "\", \"copy\": " + copy + "}");
            }
            awaitEmpty(run + "-compete-in");
        }
        List<String> orders = orderIds(drain(run + "-compete-out"));
        assertThat(orders).hasSize(10).doesNotHaveDuplicates();
    }


    @ParameterizedTest
    @ValueSource(strings = {"memory", "redis", "jdbc"})
    void twoCopiesInFlightAtOnceRunOnce(String store) throws Exception {
        // one receive returns both copies, and the source runs them side by side; each run takes 1.5 s
        sendBatch(run + "-slow-" + store, "{\"order_id\": \"s-1\", \"copy\": 1}", "{\"order_id\": \"s-1\", \"copy\": 2}",
                "{\"order_id\": \"s-2\", \"copy\": 1}");
        awaitEmpty(run + "-slow-" + store);
        assertThat(orderIds(drain(run + "-sout-" + store))).containsExactlyInAnyOrder("s-1", "s-2");
        assertThat(calls.get("/slow/" + store + "/s-1").get()).isEqualTo(1);
        assertThat(calls.get("/slow/" + store + "/s-2").get()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "jdbc"})
    void copiesOnTwoInstancesAtOnceRunOnceEvenWhenARunOutlastsTheLease(String store) throws Exception {
        // each key's copies reach both instances together; a run (1.5 s) outlasts the lease (1 s),
        // so the claim holds only because it is renewed
        for (int k = 1; k <= 3; k++) {
            String body = "{\"order_id\": \"x-" + k + "\"}";
            send(run + "-sha-" + store, body);
            send(run + "-shb-" + store, body);
        }
        awaitEmpty(run + "-sha-" + store);
        awaitEmpty(run + "-shb-" + store);
        assertThat(orderIds(drain(run + "-shout-" + store))).containsExactlyInAnyOrder("x-1", "x-2", "x-3");
        for (int k = 1; k <= 3; k++) {
            assertThat(calls.get("/slow/shared-" + store + "/x-" + k).get()).as("calls for x-" + k).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"redis", "jdbc"})
    void aClaimLeftByADeadInstanceHoldsACopyBackOnlyUntilItsLeaseEnds(String store) throws Exception {
        String workflow = run + "-dup-" + store;
        // the store's tables exist once a message went through
        send(run + "-in-" + store, "{\"order_id\": \"warm-up\"}");
        awaitEmpty(run + "-in-" + store);
        drain(run + "-out-" + store);
        // an instance claimed L-1, then died: nobody renews its claim, which ends in 3 s
        long ends = System.currentTimeMillis() + 3000;
        if (store.equals("redis")) {
            try (StatefulRedisConnection<String, String> redis = redisClient.connect()) {
                redis.sync().set("caravan:idempotency:" + workflow + ":L-1", "claim:dead-instance",
                        SetArgs.Builder.px(3000));
            }
        } else {
            try (var db = DriverManager.getConnection(PG_URL, PG_USER, null);
                 var insert = db.prepareStatement("INSERT INTO " + table + "_claims (processorName, messageId, owner,"
                         + " expiresAt) VALUES (?, 'L-1', 'dead-instance', ?)")) {
                insert.setString(1, workflow);
                insert.setLong(2, ends);
                insert.executeUpdate();
            }
        }
        send(run + "-in-" + store, "{\"order_id\": \"L-1\"}");
        // while the claim lasts, the copy waits: nothing comes out ...
        assertThat(receive(run + "-out-" + store, Duration.ofMillis(ends - System.currentTimeMillis() - 500))).isEmpty();
        // ... and once it ran out, the copy runs: a dead instance costs time, never the message
        Await.until("L-1 processed after the dead instance's lease", Duration.ofSeconds(20),
                () -> !receive(run + "-out-" + store, Duration.ofSeconds(1)).isEmpty());
        awaitEmpty(run + "-in-" + store);
    }

    private static void createQueue(String name) {
        createQueue(name, 1);
    }

    private static void createQueue(String name, int visibilitySeconds) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            client.createQueue(b -> b.queueName(name).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT,
                    String.valueOf(visibilitySeconds))));
        }
    }

    /** Sends {@code bodies} in one batch, so that one receive can return them together. */
    private static void sendBatch(String queue, String... bodies) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < bodies.length; i++) {
                String body = bodies[i];
                entries.add(SendMessageBatchRequestEntry.builder()
                        .id("m" + i).messageBody(body).build());
            }
            client.sendMessageBatch(b -> b.queueUrl(url).entries(entries));
        }
    }

    /** What arrives in {@code queue} within {@code wait} (deleted), for at most one receive. */
    private static List<Message> receive(String queue, Duration wait) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            int seconds = (int) Math.max(0, Math.min(20, wait.toSeconds()));
            List<Message> got = client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)
                    .waitTimeSeconds(seconds).visibilityTimeout(30)).messages();
            got.forEach(m -> client.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle())));
            return got;
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
