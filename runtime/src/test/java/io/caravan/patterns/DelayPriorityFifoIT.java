package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.HttpClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * send_message's delay, priority and FIFO fields against the real brokers, read back with the
 * brokers' own clients: delayed SQS and RabbitMQ messages arrive no earlier than their delay,
 * priority 9 overtakes priority 0 in a backed-up RabbitMQ queue, and an SQS FIFO queue keeps each
 * message group's order and drops a repeated deduplication id.
 */
class DelayPriorityFifoIT {

    private static final HttpClient HTTP = HttpClients.http11();
    private static final String RUN = TestBrokers.unique("p");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        hook(workflows, "sqs-later", "{queue_type: sqs, destination: " + RUN + "-later, credential_id: sqs, delay: 2s,"
                + " message: \"{{input.n}}\"}");
        hook(workflows, "rabbit-later", "{queue_type: rabbitmq, destination: " + RUN + "-later, credential_id: rabbit,"
                + " delay: \"{{input.wait}}\", message: \"{{input.n}}\"}");
        hook(workflows, "rabbit-urgent", "{queue_type: rabbitmq, destination: " + RUN + "-urgent, credential_id: rabbit,"
                + " priority: \"{{input.p}}\", message: \"{{input.n}}\"}");
        hook(workflows, "sqs-fifo", "{queue_type: sqs, destination: " + RUN + "-orders.fifo, credential_id: sqs,"
                + " message_group_id: \"{{input.g}}\", deduplication_id: \"{{input.id}}\", message: \"{{input.g}}:{{input.n}}\"}");
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, """
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                rabbit: {type: queue_rabbitmq, url: "%s"}
                """.formatted(TestBrokers.sqs().endpoint(), TestBrokers.RABBITMQ_URL));
        // `caravan run` sends to queues the operator made (`caravan dev` makes them; a FIFO one with
        // content-based deduplication)
        TestBrokers.sqs().createQueue(RUN + "-later");
        TestBrokers.sqs().client().createQueue(b -> b.queueName(RUN + "-orders.fifo").attributesWithStrings(
                Map.of("FifoQueue", "true", "ContentBasedDeduplication", "true")));
        port = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    void aDelayedSqsMessageArrivesNoEarlierThanItsDelay() throws Exception {
        SqsClient sqs = TestBrokers.sqs().client();
        long sent = System.currentTimeMillis();
        post("sqs-later", "{\"n\": 1}");
        String url = sqs.getQueueUrl(b -> b.queueName(RUN + "-later")).queueUrl();
        assertThat(sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1)).messages()).as("not before 2 s").isEmpty();
        List<Message> got = new ArrayList<>();
        Await.until("the delayed message", Duration.ofSeconds(15), () -> {
            got.addAll(sqs.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1)).messages());
            return !got.isEmpty();
        });
        long waited = System.currentTimeMillis() - sent;
        assertThat(got.get(0).body()).isEqualTo("1");
        assertThat(waited).as("ms from the send").isGreaterThanOrEqualTo(2000);
    }

    @Test
    void aDelayedRabbitMqMessageWaitsInAHoldingQueueAndArrivesNoEarlier() throws Exception {
        try (Connection connection = rabbit(); Channel ch = connection.createChannel()) {
            long sent = System.currentTimeMillis();
            post("rabbit-later", "{\"n\": 7, \"wait\": \"1500ms\"}");
            String holding = "caravan.delay.default." + RUN + "-later.1500ms";
            assertThat(ch.queueDeclarePassive(holding).getMessageCount()).as("waiting in " + holding).isEqualTo(1);
            GetResponse[] got = new GetResponse[1];
            Await.until("the delayed message", Duration.ofSeconds(15), () -> (got[0] = ch.basicGet(RUN + "-later", true)) != null);
            assertThat(System.currentTimeMillis() - sent).isGreaterThanOrEqualTo(1500);
            assertThat(new String(got[0].getBody(), StandardCharsets.UTF_8)).isEqualTo("7");
            ch.queueDelete(holding);
            ch.queueDelete(RUN + "-later");
        }
    }

    @Test
    void priorityNineOvertakesPriorityZeroInABackedUpQueue() throws Exception {
        for (int i = 0; i < 20; i++) {
            post("rabbit-urgent", "{\"n\": \"low-" + i + "\", \"p\": 0}");
        }
        for (int i = 0; i < 5; i++) {
            post("rabbit-urgent", "{\"n\": \"high-" + i + "\", \"p\": 9}");
        }
        try (Connection connection = rabbit(); Channel ch = connection.createChannel()) {
            List<String> order = new ArrayList<>();
            GetResponse r;
            while ((r = ch.basicGet(RUN + "-urgent", true)) != null) {
                order.add(new String(r.getBody(), StandardCharsets.UTF_8));
            }
            assertThat(order).hasSize(25);
            assertThat(order.subList(0, 5)).as("the queue Caravan declared has x-max-priority")
                    .containsExactly("high-0", "high-1", "high-2", "high-3", "high-4");
            ch.queueDelete(RUN + "-urgent");
        }
    }

    @Test
    void aFifoQueueKeepsEachGroupsOrderAndDropsARepeatedDeduplicationId() throws Exception {
        String[][] sends = {{"a", "1", "a1"}, {"b", "1", "b1"}, {"a", "2", "a2"}, {"a", "2", "a2"}, {"b", "2", "b2"},
                {"a", "3", "a3"}};
        for (String[] s : sends) {
            post("sqs-fifo", "{\"g\": \"" + s[0] + "\", \"n\": " + s[1] + ", \"id\": \"" + s[2] + "\"}");
        }
        SqsClient sqs = TestBrokers.sqs().client();
        String url = sqs.getQueueUrl(b -> b.queueName(RUN + "-orders.fifo")).queueUrl();
        assertThat(sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNamesWithStrings("FifoQueue")).attributesAsStrings())
                .containsEntry("FifoQueue", "true");
        List<String> got = new ArrayList<>();
        Await.until("five messages", Duration.ofSeconds(20), () -> {
            for (Message m : sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1)
                    .messageSystemAttributeNames(MessageSystemAttributeName.MESSAGE_GROUP_ID)).messages()) {
                got.add(m.body());
                sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
            }
            return got.size() >= 5;
        });
        assertThat(got).hasSize(5);
        assertThat(got.stream().filter(s -> s.startsWith("a:")).toList()).containsExactly("a:1", "a:2", "a:3");
        assertThat(got.stream().filter(s -> s.startsWith("b:")).toList()).containsExactly("b:1", "b:2");
    }

    private static Connection rabbit() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(TestBrokers.RABBITMQ_URL);
        return factory.newConnection();
    }

    private static void post(String workflow, String body) throws Exception {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    }

    /** Webhook workflow {@code id}: POST /webhooks/id -> one send_message with {@code send} as its config. */
    private static void hook(Path workflows, String id, String send) throws Exception {
        Files.writeString(workflows.resolve(id + ".yaml"), """
                id: %s
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: %s}
                edges: [{from: hook, to: out}]
                """.formatted(id, send));
    }
}
