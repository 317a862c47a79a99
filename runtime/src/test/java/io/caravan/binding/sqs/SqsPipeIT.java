package io.caravan.binding.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * Workflows SQS → SQS on caravan-sqs: many runs in flight, at-least-once. Every message arrives,
 * nothing is left in the source, a failed run comes back, one bad entry in a batch fails only its
 * own run, and stopping with runs in flight loses nothing. No timing assertions.
 */
class SqsPipeIT {

    @TempDir
    Path home;
    private SqsClient client;
    private final String run = TestBrokers.unique("pipe");

    @BeforeEach
    void setUp() throws Exception {
        client = TestBrokers.sqs().client();
        Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), """
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                """.formatted(TestBrokers.sqs().endpoint()));
    }

    @AfterEach
    void tearDown() {
        client.close();
    }

    @Test
    void everyMessageArrivesAndTheSourceEndsEmpty() throws Exception {
        String in = queue(run + "-in", 30);
        queue(run + "-out", 30);
        workflow("""
                id: pipe
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %1$s-in, wait_time: 1s, credential_id: sqs}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-out, message: "{{input}}",
                     attributes: {n: "{{input.n}}"}, credential_id: sqs}}
                edges: [{from: in, to: out}]
                """);
        int count = 3000;
        send(in, IntStream.range(0, count).mapToObj(i -> "{\"n\": " + i + "}").toList());
        try (CaravanRuntime ignored = start()) {
            Set<String> arrived = drain(run + "-out", count, m -> m.messageAttributes().get("n").stringValue());
            assertThat(arrived).isEqualTo(IntStream.range(0, count).mapToObj(String::valueOf).collect(Collectors.toSet()));
            awaitEmpty(run + "-in");
        }
    }

    /**
     * A source queue with a redrive policy dead-letters by itself: the workflow's default dead
     * letter ({@code <queue>-dlq}) gives way, a failed run is not deleted, and it comes back.
     */
    @Test
    void aFailedRunFromAQueueWithARedrivePolicyIsNotDeletedAndComesBack() throws Exception {
        Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/first-fails", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int call = calls.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
            exchange.sendResponseHeaders(call == 1 ? 503 : 200, -1);
            exchange.close();
        });
        server.start();
        try {
            String in = queue(run + "-in", 1);
            String ownDlq = queue(run + "-own-dlq", 30);
            String arn = client.getQueueAttributes(b -> b.queueUrl(ownDlq).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            client.setQueueAttributes(b -> b.queueUrl(in).attributes(Map.of(QueueAttributeName.REDRIVE_POLICY,
                    "{\"deadLetterTargetArn\":\"" + arn + "\",\"maxReceiveCount\":\"5\"}")));
            queue(run + "-out", 30);
            queue(run + "-in-dlq", 30); // the default dead letter exists, and must stay empty
            workflow("""
                    id: flaky
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: sqs, source: %1$s-in, wait_time: 1s, credential_id: sqs}}
                      - id: call
                        type: http
                        config: {method: POST, url: "http://127.0.0.1:%2$d/first-fails", body: "{{input.n}}"}
                        error_handling:
                          retry: {max_attempts: 1, retry_on: [HTTP_5XX]}
                      - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-out, message: "{{input}}", credential_id: sqs}}
                    edges: [{from: in, to: call}, {from: call, to: out}]
                    """.formatted(run, server.getAddress().getPort()));
            send(in, IntStream.range(0, 20).mapToObj(i -> "{\"n\": " + i + "}").toList());
            try (CaravanRuntime ignored = start()) {
                Set<String> arrived = drain(run + "-out", 20, Message::body);
                assertThat(arrived).hasSize(20);
                assertThat(calls).hasSize(20).allSatisfy((body, n) -> assertThat(n.get())
                        .as("failed once, received again, then done").isGreaterThanOrEqualTo(2));
                awaitEmpty(run + "-in");
                assertThat(BrokerClients.sqsMessagesLeft(run + "-in-dlq")).as("the default dead letter gave way").isZero();
            }
        } finally {
            server.stop(0);
        }
    }

    /**
     * Issue 12, point 3: a message no run can use, from a queue without a redrive policy and a
     * workflow without a dead letter, went back to the queue after every visibility timeout, for
     * ever. It now goes once to the queue's default dead letter, {@code <queue>-dlq}.
     */
    @Test
    void aPoisonMessageGoesToTheQueuesDefaultDeadLetterOnce() throws Exception {
        String in = queue(run + "-in", 1);
        queue(run + "-out", 30);
        queue(run + "-in-dlq", 30);
        workflow("""
                id: poisoned
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %1$s-in, wait_time: 1s, credential_id: sqs}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-out, message: "{{input.n}}", credential_id: sqs}}
                edges: [{from: in, to: out}]
                """);
        send(in, List.of("not json at all", "{\"n\": 1}"));
        try (CaravanRuntime ignored = start()) {
            assertThat(drain(run + "-out", 1, Message::body)).containsExactly("1");
            Message letter = BrokerClients.sqsReceiveOne(run + "-in-dlq");
            assertThat(letter.body()).isEqualTo("not json at all");
            assertThat(letter.messageAttributes().get("caravan-error-code").stringValue()).isEqualTo("TEMPLATE_VALUE_MISSING");
            awaitEmpty(run + "-in");
            Thread.sleep(2_000); // two visibility timeouts: a poison loop would have brought it back
            assertThat(BrokerClients.sqsMessagesLeft(run + "-in")).isZero();
        }
    }

    @Test
    void oneBadEntryInABatchFailsOnlyItsOwnRun() throws Exception {
        String in = queue(run + "-in", 30);
        queue(run + "-out", 30);
        queue(run + "-dlq", 30);
        workflow("""
                id: mixed
                error_handling:
                  dead_letter: {queue_type: sqs, destination: %1$s-dlq, credential_id: sqs}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %1$s-in, wait_time: 1s, credential_id: sqs}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-out, message: "{{input.text}}", credential_id: sqs}}
                edges: [{from: in, to: out}]
                """);
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            // U+0001 is valid in the JSON source (escaped) but not in an SQS message body: SQS
            // answers that one entry with InvalidMessageContents
            bodies.add(i == 50 ? "{\"text\": \"bad\\u0001\"}" : "{\"text\": \"t" + i + "\"}");
        }
        send(in, bodies);
        try (CaravanRuntime ignored = start()) {
            Set<String> arrived = drain(run + "-out", 99, Message::body);
            assertThat(arrived).hasSize(99).doesNotContain("bad\u0001");
            Message letter = BrokerClients.sqsReceiveOne(run + "-dlq");
            assertThat(letter.body()).isEqualTo("{\"text\": \"bad\\u0001\"}");
            assertThat(letter.messageAttributes().get("caravan-error-message").stringValue()).contains("InvalidMessageContents");
            awaitEmpty(run + "-in");
        }
    }

    @Test
    void stoppingWithRunsInFlightLosesNothing() throws Exception {
        String in = queue(run + "-in", 3);
        queue(run + "-out", 30);
        workflow("""
                id: slow
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %1$s-in, wait_time: 1s, credential_id: sqs}}
                  - {id: wait, type: delay, config: {duration: 200ms}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-out, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: wait}, {from: wait, to: out}]
                """);
        int count = 3000;
        send(in, IntStream.range(0, count).mapToObj(i -> "{\"n\": " + i + "}").toList());
        Set<String> arrived = ConcurrentHashMap.newKeySet();
        try (CaravanRuntime ignored = start()) {
            arrived.addAll(drain(run + "-out", 50, Message::body));
            assertThat(BrokerClients.sqsMessagesLeft(run + "-in")).as("runs still to do when stopping").isGreaterThan(0);
        }
        try (CaravanRuntime ignored = start()) {
            Set<String> rest = drain(run + "-out", count, Message::body, arrived);
            assertThat(rest).hasSize(count);
            awaitEmpty(run + "-in");
        }
    }

    private CaravanRuntime start() throws Exception {
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    private void workflow(String yaml) throws Exception {
        Files.writeString(home.resolve("workflows/pipe.yaml"), yaml.formatted(run));
    }

    private String queue(String name, int visibilitySeconds) {
        return client.createQueue(b -> b.queueName(name)
                .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, String.valueOf(visibilitySeconds)))).queueUrl();
    }

    private void send(String url, List<String> bodies) {
        for (int i = 0; i < bodies.size(); i += 10) {
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            for (String body : bodies.subList(i, Math.min(bodies.size(), i + 10))) {
                entries.add(SendMessageBatchRequestEntry.builder().id(String.valueOf(entries.size())).messageBody(body).build());
            }
            assertThat(client.sendMessageBatch(b -> b.queueUrl(url).entries(entries)).failed()).isEmpty();
        }
    }

    interface Key {
        String of(Message m);
    }

    private Set<String> drain(String queue, int distinct, Key key) {
        return drain(queue, distinct, key, ConcurrentHashMap.newKeySet());
    }

    /** Reads and deletes from {@code queue} until {@code distinct} keys were seen (duplicates allowed), within 2 min. */
    private Set<String> drain(String queue, int distinct, Key key, Set<String> seen) {
        String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
        long deadline = System.currentTimeMillis() + 120_000;
        while (seen.size() < distinct && System.currentTimeMillis() < deadline) {
            List<Message> got = client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .messageAttributeNames("All")).messages();
            got.forEach(m -> seen.add(key.of(m)));
            if (!got.isEmpty()) {
                List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
                for (Message m : got) {
                    entries.add(DeleteMessageBatchRequestEntry.builder().id(String.valueOf(entries.size()))
                            .receiptHandle(m.receiptHandle()).build());
                }
                client.deleteMessageBatch(b -> b.queueUrl(url).entries(entries));
            }
        }
        return seen;
    }

    private static void awaitEmpty(String queue) throws Exception {
        BrokerClients.sqsAwaitEmpty(queue);
    }
}
