package io.caravan.binding.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.binding.Binding;
import io.caravan.binding.BrokerConformance;
import io.caravan.binding.Messages;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.testing.Await;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Kafka (the in-process KRaft broker) through the conformance suite, and what only Kafka has: keys and partitions. */
class KafkaBindingIT extends BrokerConformance {

    private final KafkaBinding binding = new KafkaBinding();

    @Override
    protected Binding binding() {
        return binding;
    }

    @Override
    protected Credential credential() {
        return TestBrokers.kafkaCredential();
    }

    @Override
    protected Credential unreachable(int port, String secret) {
        return new Credential("kafka-down", "queue_kafka", Map.of("brokers", List.of("127.0.0.1:" + port),
                "consumer_group", "g", "sasl_mechanism", "PLAIN", "sasl_username", "u", "sasl_password", secret),
                Set.of("sasl_password"));
    }

    /** The test broker speaks PLAINTEXT: a SASL password is used in the handshake, which it refuses. */
    @Override
    protected Credential credentialWithSecret(String field, String secret) {
        Map<String, Object> fields = new java.util.HashMap<>(credential().fields());
        fields.put("sasl_mechanism", "PLAIN");
        fields.put("sasl_username", "caravan");
        fields.put(field, secret);
        return new Credential("kafka-secret", "queue_kafka", fields, Set.of("sasl_password"));
    }

    @Override
    protected String newAddress() {
        String topic = TestBrokers.unique("topic");
        TestBrokers.kafka().createTopic(topic, 2);
        return topic;
    }

    private static KafkaProducer<String, String> keyed;

    @org.junit.jupiter.api.AfterAll
    static void closeKeyedProducer() {
        if (keyed != null) {
            keyed.close();
        }
    }

    /** The record key; one producer for the class, so the records keep the order they are published in. */
    @Override
    protected void publishKeyed(String topic, String key, String body) throws Exception {
        if (keyed == null) {
            keyed = new KafkaProducer<>(props(), new StringSerializer(), new StringSerializer());
        }
        keyed.send(new ProducerRecord<>(topic, key, body)).get();
    }

    @Override
    protected String partitionOf(io.caravan.binding.ReceivedMessage message) {
        return String.valueOf(message.metadata().get("partition"));
    }

    @Override
    protected void publish(String topic, String body, Map<String, String> attributes) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props(), new StringSerializer(), new StringSerializer())) {
            ProducerRecord<String, String> record = new ProducerRecord<>(topic, body);
            attributes.forEach((k, v) -> record.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
            producer.send(record).get();
        }
    }

    @Override
    protected List<RawMessage> take(String topic, int count, Duration within) {
        Properties p = props();
        p.put("group.id", TestBrokers.unique("reader"));
        p.put("auto.offset.reset", "earliest");
        List<RawMessage> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + within.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    Map<String, String> attributes = new java.util.LinkedHashMap<>();
                    for (Header h : r.headers()) {
                        attributes.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
                    }
                    out.add(new RawMessage(r.value(), attributes));
                }
            }
        }
        return out;
    }

    @Test
    void aDeadLetterCarriesTheRecordsBytesUnchanged() throws Exception {
        // seen before: the consumer decoded values as UTF-8, so 0xff 0xfe reached the .dlq topic
        // as replacement characters; the record's bytes are kept for the dead letter now
        String source = newAddress();
        String dlq = newAddress();
        try (var runtime = poisoned(source, dlq);
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props(), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(source, "k-1", NOT_UTF8)).get();
            Properties p = props();
            p.put("group.id", TestBrokers.unique("reader"));
            p.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, byte[]> reader = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
                reader.subscribe(List.of(dlq));
                List<ConsumerRecord<String, byte[]>> letters = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (letters.isEmpty() && System.nanoTime() < deadline) {
                    reader.poll(Duration.ofMillis(200)).forEach(letters::add);
                }
                assertThat(letters).as("the dead letter in " + dlq).hasSize(1);
                assertThat(letters.get(0).value()).isEqualTo(NOT_UTF8);
                assertThat(letters.get(0).key()).isEqualTo("k-1");
                assertThat(letters.get(0).headers().lastHeader("caravan-error-code")).isNotNull();
            }
        }
    }

    private static Properties props() {
        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        return p;
    }

    @Test
    void theKeyFieldIsTheRecordKeyAndTheIdNamesPartitionAndOffset() throws Exception {
        String topic = address();
        List<ReceivedMessage> received = consume(topic, e -> { });
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("keyed");
        exchange.getMessage().setHeader(Messages.KEY, "user-7");
        Exchange sent = context.createProducerTemplate().send(binding.producerUri(channel(topic)), exchange);
        String id = sent.getMessage().getHeader(Messages.MESSAGE_ID, String.class);
        assertThat(id).startsWith(topic + "-");

        Await.until("the record arrives", Duration.ofSeconds(30), () -> !received.isEmpty());
        ReceivedMessage m = received.get(0);
        assertThat(m.metadata()).containsEntry("key", "user-7");
        assertThat(m.receipt()).matches("\\d+:\\d+");
        assertThat(id).isEqualTo(topic + "-" + m.receipt().replace(':', '-'));
    }

    @Test
    void aPartitionAskedForIsUsedOnlyWhereTheTopicHasIt() throws Exception {
        String topic = address(); // 2 partitions
        for (int partition : new int[] {1, 7}) {
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setBody("p" + partition);
            exchange.getMessage().setHeader(Messages.PARTITION, partition);
            Exchange sent = context.createProducerTemplate().send(binding.producerUri(channel(topic)), exchange);
            assertThat(sent.getException()).isNull();
            String id = sent.getMessage().getHeader(Messages.MESSAGE_ID, String.class);
            if (partition == 1) {
                assertThat(id).startsWith(topic + "-1-");
            } else {
                assertThat(id).matches(topic + "-[01]-\\d+");
            }
        }
    }
}
