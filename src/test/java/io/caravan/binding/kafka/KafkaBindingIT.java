package io.caravan.binding.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.Channel;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.dev.DevBrokers;
import io.caravan.testing.Received;
import io.caravan.testing.TestBrokers;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KafkaBindingIT {

    private final KafkaBinding binding = new KafkaBinding();
    private DefaultCamelContext context;
    private String topic;

    @BeforeEach
    void start() {
        context = new DefaultCamelContext();
        binding.bind(context, TestBrokers.kafkaCredential());
        context.start();
        topic = TestBrokers.unique("topic");
        TestBrokers.kafka().createTopic(topic, 2);
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private Channel channel() {
        return TestBrokers.channel("kafka-test", topic, Map.of());
    }

    private String send(String body, Map<String, String> attributes, String key) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        binding.prepareSend(exchange, channel(), attributes, key == null ? Map.of() : Map.of("key", key));
        Exchange result = context.createProducerTemplate().send(binding.producerUri(channel()), exchange);
        assertThat(result.getException()).isNull();
        return binding.sentMessageId(result);
    }

    @Test
    void sendsAndReceivesBodyAttributesKeyAndIds() throws Exception {
        String id = send("{\"n\":1}", Map.of("priority", "high", "trace", "t-1"), "user-7");
        assertThat(id).startsWith(topic + "-");

        Received received = Received.from(context, binding, binding.consumerUri(channel()));
        List<ReceivedMessage> got = received.await(1, Duration.ofSeconds(20));

        assertThat(got).hasSize(1);
        ReceivedMessage m = got.get(0);
        assertThat(m.body()).isEqualTo("{\"n\":1}");
        assertThat(m.attributes()).isEqualTo(Map.of("priority", "high", "trace", "t-1"));
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.receipt()).matches("\\d+:\\d+");
        assertThat(id).endsWith("-" + m.receipt().replace(':', '-'));
        assertThat(m.metadata()).containsEntry("key", "user-7");
        assertThat(Instant.parse(m.timestamp())).isBetween(Instant.now().minusSeconds(60), Instant.now());
    }

    @Test
    void controlHeadersFromTheBrokerNeverBecomeAttributes() throws Exception {
        // the pull gets its own topic: the route consumer below commits what it read, and the
        // pull shares its consumer group, so on one topic the pull would race that commit
        String pullTopic = TestBrokers.unique("pull");
        try (KafkaProducer<String, String> raw = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBrokers.kafka().bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (String t : List.of(topic, pullTopic)) {
                ProducerRecord<String, String> record = new ProducerRecord<>(t, "poison");
                record.headers().add("kafka.OVERRIDE_TOPIC", "elsewhere".getBytes(StandardCharsets.UTF_8));
                record.headers().add("CamelHttpUri", "http://evil".getBytes(StandardCharsets.UTF_8));
                record.headers().add("ok", "yes".getBytes(StandardCharsets.UTF_8));
                raw.send(record).get();
            }
        }
        Received received = Received.from(context, binding, binding.consumerUri(channel()));
        List<ReceivedMessage> got = received.await(1, Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).attributes()).isEqualTo(Map.of("ok", "yes"));

        List<ReceivedMessage> pulled = binding.pull(context, TestBrokers.channel("kafka-test", pullTopic, Map.of()), 1,
                Duration.ofSeconds(10), false);
        assertThat(pulled).hasSize(1);
        assertThat(pulled.get(0).attributes()).isEqualTo(Map.of("ok", "yes"));
    }

    @Test
    void pullHonoursMaxWaitAndDeleteAfter() throws Exception {
        for (int i = 0; i < 3; i++) {
            send("m" + i, Map.of("i", String.valueOf(i)), "same-key");
        }
        List<ReceivedMessage> peek = binding.pull(context, channel(), 2, Duration.ofSeconds(10), false);
        assertThat(peek).extracting(ReceivedMessage::body).containsExactly("m0", "m1");
        assertThat(peek.get(0).attributes()).isEqualTo(Map.of("i", "0"));

        // nothing was committed, so the group reads them again
        List<ReceivedMessage> taken = binding.pull(context, channel(), 10, Duration.ofSeconds(3), true);
        assertThat(taken).extracting(ReceivedMessage::body).containsExactly("m0", "m1", "m2");

        long t = System.nanoTime();
        assertThat(binding.pull(context, channel(), 10, Duration.ofSeconds(1), true)).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void classifiesMissingTopicAndClosedPort() throws Exception {
        Channel missing = TestBrokers.channel("kafka-test", TestBrokers.unique("absent"), Map.of());
        Throwable notFound = catchThrowable(() -> binding.pull(context, missing, 1, Duration.ofSeconds(5), false));
        assertThat(binding.classify(notFound, missing).code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThat(DevBrokers.answers("127.0.0.1", port)).isFalse();
        binding.bind(context, new Credential("kafka-closed", "queue_kafka",
                Map.of("brokers", List.of("127.0.0.1:" + port), "consumer_group", "g",
                        "sasl_mechanism", "PLAIN", "sasl_username", "u", "sasl_password", "it-secret-do-not-print"),
                Set.of("sasl_password")));
        Channel closed = TestBrokers.channel("kafka-closed", topic, Map.of());
        Throwable failure = catchThrowable(() -> binding.pull(context, closed, 1, Duration.ofSeconds(2), false));
        CaravanException e = binding.classify(failure, closed);
        assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED);
        assertThat(e.getMessage()).contains("127.0.0.1:" + port).doesNotContain("it-secret-do-not-print");
        assertThat(e.node()).isEqualTo("node-test");
    }

    @Test
    void urisCarryNoCredentialValues() {
        assertThat(binding.producerUri(channel()) + binding.consumerUri(channel()))
                .contains("kafkaClientFactory=#caravan-credential-kafka-test")
                .doesNotContain(TestBrokers.kafka().bootstrapServers());
        assertThat(binding.consumerHeaders()).isEmpty();
    }
}
