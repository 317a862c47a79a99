package io.caravan.testing;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The brokers' own clients, for tests that put a message in a broker or read what a route left
 * there without going through Camel: what a test asserts is then what the broker holds.
 */
public final class BrokerClients {

    private BrokerClients() {
    }

    /** Sends one record with String headers and waits for the broker's acknowledgement. */
    public static void kafkaSend(String topic, String key, String value, Map<String, String> headers) throws Exception {
        kafkaSend(TestBrokers.kafka().bootstrapServers(), topic, key, value, headers);
    }

    /** {@link #kafkaSend(String, String, String, Map)} to the PLAINTEXT listener at {@code bootstrap}. */
    public static void kafkaSend(String bootstrap, String topic, String key, String value, Map<String, String> headers)
            throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, value);
            headers.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
            producer.send(record).get();
        }
    }

    /** The first record on any of {@code topics} within 30 s, read from the beginning by a fresh group. */
    public static ConsumerRecord<String, String> kafkaReadOne(List<String> topics) {
        return kafkaReadOne(TestBrokers.kafka().bootstrapServers(), topics);
    }

    /** {@link #kafkaReadOne(List)} from the PLAINTEXT listener at {@code bootstrap}. */
    public static ConsumerRecord<String, String> kafkaReadOne(String bootstrap, List<String> topics) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("group.id", TestBrokers.unique("reader"));
        p.put("auto.offset.reset", "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(topics);
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    return r;
                }
            }
        }
        throw new AssertionError("no record on " + topics + " within 30 s");
    }

    public static String header(ConsumerRecord<?, ?> record, String name) {
        var h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** The first message on an SQS queue within 30 s, with all its attributes; not deleted. */
    public static Message sqsReceiveOne(String queue) {
        return sqsReceiveOne(TestBrokers.sqs(), queue);
    }

    /** The first message on an SQS queue of {@code sqs}, waiting up to 30 s. */
    public static Message sqsReceiveOne(io.caravan.brokers.EmbeddedSqs sqs, String queue) {
        try (SqsClient client = sqs.client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                List<Message> messages = client.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1)
                        .messageAttributeNames("All")).messages();
                if (!messages.isEmpty()) {
                    return messages.get(0);
                }
            }
        }
        throw new AssertionError("no message on " + queue + " within 30 s");
    }

    /** Visible plus in-flight messages of an SQS queue. */
    public static int sqsMessagesLeft(String queue) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            var attributes = client.getQueueAttributes(b -> b.queueUrl(url).attributeNamesWithStrings(
                    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")).attributesAsStrings();
            return Integer.parseInt(attributes.get("ApproximateNumberOfMessages"))
                    + Integer.parseInt(attributes.get("ApproximateNumberOfMessagesNotVisible"));
        }
    }

    /** Waits up to 30 s until an SQS queue has nothing visible or in flight. */
    public static void sqsAwaitEmpty(String queue) throws Exception {
        Await.until("nothing visible or in flight on " + queue, java.time.Duration.ofSeconds(30),
                () -> sqsMessagesLeft(queue) == 0);
    }

    public static Connection rabbit() throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(TestBrokers.RABBITMQ_URL);
        return f.newConnection("caravan-test");
    }

    /** Declares a durable queue as the kamelets and bindings do, and empties it. */
    public static void rabbitDeclare(String queue) throws Exception {
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            ch.queueDeclare(queue, true, false, false, null);
            ch.queuePurge(queue);
        }
    }

    /** The next message on a RabbitMQ queue within 10 s, acknowledged. */
    public static GetResponse rabbitGet(String queue) throws Exception {
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            long deadline = System.currentTimeMillis() + 10_000;
            while (System.currentTimeMillis() < deadline) {
                GetResponse got = ch.basicGet(queue, true);
                if (got != null) {
                    return got;
                }
                Thread.sleep(100);
            }
        }
        throw new AssertionError("no message on " + queue + " within 10 s");
    }

    /** Deletes test queues so runs do not pile them up on the shared RabbitMQ. */
    public static void rabbitDelete(String... queues) throws Exception {
        try (Connection c = rabbit(); Channel ch = c.createChannel()) {
            for (String q : queues) {
                ch.queueDelete(q);
            }
        }
    }
}
