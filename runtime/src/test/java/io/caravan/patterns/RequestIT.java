package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.HttpClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caravan as an RPC caller: a send_message with {@code reply} waits for the answer and puts it
 * in its output. On RabbitMQ over direct reply-to, answered by a pika RPC server as in the
 * RabbitMQ tutorials; on Kafka and SQS answered by Caravan's own {@code reply} node through a
 * reply topic and a reply queue; and a request nobody answers fails with REPLY_TIMEOUT.
 */
class RequestIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RUN = TestBrokers.unique("req");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static Process pikaServer;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        caller(workflows, "ask-rabbit", "{queue_type: rabbitmq, destination: " + RUN + "-prices, credential_id: rabbit,"
                + " message: '{\"sku\": \"{{input.sku}}\"}', reply: {timeout: 10s}}");
        caller(workflows, "ask-nobody", "{queue_type: rabbitmq, destination: " + RUN + "-nobody, credential_id: rabbit,"
                + " message: hello, reply: {timeout: 1s}}");
        caller(workflows, "ask-kafka", "{queue_type: kafka, destination: " + RUN + "-kreq, credential_id: kafka,"
                + " message: '{\"sku\": \"{{input.sku}}\"}', reply: {timeout: 15s, reply_to: " + RUN + "-krep}}");
        caller(workflows, "ask-sqs", "{queue_type: sqs, destination: " + RUN + "-sreq, credential_id: sqs,"
                + " message: '{\"sku\": \"{{input.sku}}\"}', reply: {timeout: 15s, reply_to: " + RUN + "-srep}}");
        responder(workflows, "price-kafka", "{queue_type: kafka, source: " + RUN + "-kreq, credential_id: kafka}", 7);
        responder(workflows, "price-sqs", "{queue_type: sqs, source: " + RUN + "-sreq, credential_id: sqs}", 9);
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, """
                rabbit: {type: queue_rabbitmq, url: "%s"}
                kafka: {type: queue_kafka, brokers: ["%s"], consumer_group: %s}
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                """.formatted(TestBrokers.RABBITMQ_URL, TestBrokers.kafka().bootstrapServers(), RUN, TestBrokers.sqs().endpoint()));
        TestBrokers.kafka().createTopic(RUN + "-kreq", 1);
        TestBrokers.kafka().createTopic(RUN + "-krep", 1);
        TestBrokers.sqs().createQueue(RUN + "-sreq");
        TestBrokers.sqs().createQueue(RUN + "-srep");
        port = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pikaServer != null) {
            pikaServer.destroyForcibly();
        }
        if (runtime != null) {
            runtime.close();
        }
        com.rabbitmq.client.ConnectionFactory factory = new com.rabbitmq.client.ConnectionFactory();
        factory.setUri(TestBrokers.RABBITMQ_URL);
        try (var connection = factory.newConnection(); var ch = connection.createChannel()) {
            ch.queueDelete(RUN + "-prices");
            ch.queueDelete(RUN + "-nobody");
        }
    }

    @Test
    void aPikaRpcServerAnswersACaravanCaller() throws Exception {
        boolean pika = new ProcessBuilder("/usr/bin/python3", "-c", "import pika").start().waitFor() == 0;
        if (!pika) {
            assertThat(System.getenv("CARAVAN_REQUIRE_PIKA")).as("python3-pika is missing (apt-get install python3-pika)")
                    .isNotEqualTo("true");
            System.out.println("SKIPPED: python3-pika is not installed; RequestIT's pika server did not run");
            org.junit.jupiter.api.Assumptions.assumeTrue(false);
        }
        // the RabbitMQ tutorial's RPC server: answer to reply_to with the request's correlation_id
        String server = """
                import pika, json
                conn = pika.BlockingConnection(pika.URLParameters("%s"))
                ch = conn.channel()
                ch.queue_declare(queue="%s", durable=True)
                def on_request(ch, method, props, body):
                    sku = json.loads(body)["sku"]
                    ch.basic_publish(exchange="", routing_key=props.reply_to,
                                     properties=pika.BasicProperties(correlation_id=props.correlation_id),
                                     body=json.dumps({"sku": sku, "price": 42}).encode())
                    ch.basic_ack(delivery_tag=method.delivery_tag)
                ch.basic_consume(queue="%s", on_message_callback=on_request)
                print("ready", flush=True)
                ch.start_consuming()
                """.formatted(TestBrokers.RABBITMQ_URL, RUN + "-prices", RUN + "-prices");
        pikaServer = new ProcessBuilder("/usr/bin/python3", "-c", server).redirectErrorStream(true).start();
        String ready = new String(pikaServer.getInputStream().readNBytes(5));
        assertThat(ready).isEqualTo("ready");
        JsonNode answer = post("ask-rabbit", "{\"sku\": \"A-1\"}", 200);
        assertThat(answer.at("/output/price").asInt()).isEqualTo(42);
        assertThat(answer.at("/output/sku").asText()).isEqualTo("A-1");
        pikaServer.destroy();
        pikaServer.waitFor(5, TimeUnit.SECONDS);
    }

    @Test
    void aRequestNobodyAnswersFailsWithReplyTimeout() throws Exception {
        JsonNode answer = post("ask-nobody", "{}", 504);
        assertThat(answer.at("/error/code").asText()).isEqualTo("REPLY_TIMEOUT");
        assertThat(answer.at("/error/node").asText()).isEqualTo("ask");
        assertThat(answer.at("/error/message").asText()).contains("no reply from rabbitmq " + RUN + "-nobody within 1s");
    }

    @Test
    void caravanAnswersCaravanOverAKafkaReplyTopic() throws Exception {
        JsonNode answer = post("ask-kafka", "{\"sku\": \"K-1\"}", 200);
        assertThat(answer.at("/output/price").asInt()).isEqualTo(7);
        assertThat(answer.at("/output/sku").asText()).isEqualTo("K-1");
    }

    @Test
    void caravanAnswersCaravanOverAnSqsReplyQueue() throws Exception {
        JsonNode answer = post("ask-sqs", "{\"sku\": \"S-1\"}", 200);
        assertThat(answer.at("/output/price").asInt()).isEqualTo(9);
        assertThat(answer.at("/output/sku").asText()).isEqualTo("S-1");
    }

    private static JsonNode post(String workflow, String body, int status) throws Exception {
        HttpResponse<String> response = HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return JSON.readTree(response.body());
    }

    /** Webhook -> send_message {@code send} (with reply) -> the answer's sku and price as the output. */
    private static void caller(Path workflows, String id, String send) throws Exception {
        Files.writeString(workflows.resolve(id + ".yaml"), """
                id: %s
                nodes:
                  - {id: hook, type: webhook}
                  - {id: ask, type: send_message, config: %s}
                  - {id: out, type: transform, config: {template: '{"sku": "{{ask.reply.body.sku}}", "price": {{ask.reply.body.price}}}'}}
                edges: [{from: hook, to: ask}, {from: ask, to: out}]
                """.formatted(id, send));
    }

    private static void responder(Path workflows, String id, String receive, int price) throws Exception {
        Files.writeString(workflows.resolve(id + ".yaml"), """
                id: %s
                nodes:
                  - {id: in, type: receive_message, config: %s}
                  - {id: answer, type: reply, config: {message: '{"sku": "{{input.sku}}", "price": %d}'}}
                edges: [{from: in, to: answer}]
                """.formatted(id, receive, price));
    }
}
