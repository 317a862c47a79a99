package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caravan as an RPC server: a {@code reply} node answers the message that started the run, to its
 * reply_to with its correlation_id. Asked by a pika RPC client as in the RabbitMQ tutorials
 * (python3-pika; .ci/run installs it and sets CARAVAN_REQUIRE_PIKA), by the Java client through
 * direct reply-to, and over Kafka with reply_to and correlation_id headers; a message without a
 * reply_to is not answered and the run says why.
 */
class ReplyIT {

    private static final String RUN = TestBrokers.unique("rpc");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("pricing.yaml"), """
                id: pricing
                nodes:
                  - {id: ask, type: receive_message, config: {queue_type: rabbitmq, source: %1$s, credential_id: rabbit}}
                  - {id: answer, type: reply, config: {message: '{"sku": "{{input.sku}}", "price": 42}', attributes: {served-by: caravan}}}
                  - {id: note, type: send_message, config: {queue_type: rabbitmq, destination: %1$s-notes, credential_id: rabbit, message: "{{answer.replied}} {{answer.reason}}"}}
                edges: [{from: ask, to: answer}, {from: answer, to: note}]
                """.formatted(RUN));
        Files.writeString(workflows.resolve("pricing-kafka.yaml"), """
                id: pricing-kafka
                nodes:
                  - {id: ask, type: receive_message, config: {queue_type: kafka, source: %s, credential_id: kafka}}
                  - {id: answer, type: reply, config: {message: '{"sku": "{{input.sku}}", "price": 7}'}}
                edges: [{from: ask, to: answer}]
                """.formatted(RUN + "-requests"));
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, """
                rabbit: {type: queue_rabbitmq, url: "%s"}
                kafka: {type: queue_kafka, brokers: ["%s"], consumer_group: %s}
                """.formatted(TestBrokers.RABBITMQ_URL, TestBrokers.kafka().bootstrapServers(), RUN));
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            ch.queueDeclare(RUN + "-notes", true, false, false, null);
        }
        TestBrokers.kafka().createTopic(RUN + "-requests", 1);
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()), "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            ch.queueDelete(RUN);
            ch.queueDelete(RUN + "-notes");
        }
    }

    @Test
    void aPikaRpcClientGetsItsAnswer() throws Exception {
        boolean pika = new ProcessBuilder("/usr/bin/python3", "-c", "import pika").start().waitFor() == 0;
        if (!pika) {
            assertThat(System.getenv("CARAVAN_REQUIRE_PIKA")).as("python3-pika is missing (apt-get install python3-pika)")
                    .isNotEqualTo("true");
            System.out.println("SKIPPED: python3-pika is not installed; ReplyIT's pika client did not run");
            assumeTrue(false);
        }
        // the RabbitMQ tutorial's RPC client: an exclusive callback queue, a correlation id, wait for the match
        String client = """
                import pika, uuid, time
                conn = pika.BlockingConnection(pika.URLParameters("%s"))
                ch = conn.channel()
                callback = ch.queue_declare(queue="", exclusive=True).method.queue
                corr = str(uuid.uuid4())
                answer = {}
                def on_reply(ch, method, props, body):
                    if props.correlation_id == corr:
                        answer["body"] = body.decode()
                        answer["headers"] = props.headers
                ch.basic_consume(queue=callback, on_message_callback=on_reply, auto_ack=True)
                ch.basic_publish(exchange="", routing_key="%s", properties=pika.BasicProperties(reply_to=callback,
                                 correlation_id=corr), body=b'{"sku": "A-1"}')
                deadline = time.time() + 20
                while "body" not in answer and time.time() < deadline:
                    conn.process_data_events(time_limit=1)
                print(answer.get("body"), (answer.get("headers") or {}).get("served-by"))
                """.formatted(TestBrokers.RABBITMQ_URL, RUN);
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", client).redirectErrorStream(true).start();
        assertThat(p.waitFor(40, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(out).isEqualTo("{\"sku\": \"A-1\", \"price\": 42} caravan");
    }

    @Test
    void aJavaClientGetsItsAnswerThroughDirectReplyTo() throws Exception {
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            BlockingQueue<String> answers = new ArrayBlockingQueue<>(1);
            ch.basicConsume("amq.rabbitmq.reply-to", true, (tag, delivery) -> answers.add(
                    delivery.getProperties().getCorrelationId() + " " + new String(delivery.getBody(), StandardCharsets.UTF_8)),
                    tag -> { });
            ch.basicPublish("", RUN, new AMQP.BasicProperties.Builder().replyTo("amq.rabbitmq.reply-to")
                    .correlationId("c-7").build(), "{\"sku\": \"B-2\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(answers.poll(20, TimeUnit.SECONDS)).isEqualTo("c-7 {\"sku\": \"B-2\", \"price\": 42}");
        }
    }

    @Test
    void aMessageWithoutReplyToIsNotAnsweredAndTheRunSaysWhy() throws Exception {
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            ch.basicPublish("", RUN, null, "{\"sku\": \"C-3\"}".getBytes(StandardCharsets.UTF_8));
            GetResponse[] note = new GetResponse[1];
            Await.until("the note", Duration.ofSeconds(20), () -> (note[0] = ch.basicGet(RUN + "-notes", true)) != null);
            assertThat(new String(note[0].getBody(), StandardCharsets.UTF_8))
                    .isEqualTo("false the message that started this run has no reply_to, so there is no one to answer");
        }
    }

    @Test
    void aKafkaRequestWithReplyToAndCorrelationIdHeadersIsAnsweredOnThatTopic() throws Exception {
        String replies = RUN + "-replies";
        TestBrokers.kafka().createTopic(replies, 1);
        BrokerClients.kafkaSend(RUN + "-requests", "k", "{\"sku\": \"D-4\"}", Map.of("reply_to", replies, "correlation_id", "c-9"));
        ConsumerRecord<String, String> answer = BrokerClients.kafkaReadOne(java.util.List.of(replies));
        assertThat(answer.value()).isEqualTo("{\"sku\": \"D-4\", \"price\": 7}");
        assertThat(BrokerClients.header(answer, "correlation_id")).isEqualTo("c-9");
    }

    private static Connection rabbit() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(TestBrokers.RABBITMQ_URL);
        return factory.newConnection();
    }
}
