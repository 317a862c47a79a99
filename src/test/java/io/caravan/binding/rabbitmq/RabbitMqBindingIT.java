package io.caravan.binding.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.rabbitmq.client.AMQP;
import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.testing.Received;
import io.caravan.testing.TestBrokers;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.caravan.testing.BrokerClients;

/** Runs against the RabbitMQ on 127.0.0.1:5672 (see TestBrokers.requireRabbitMq). */
class RabbitMqBindingIT {

    private final RabbitMqBinding binding = new RabbitMqBinding();
    private DefaultCamelContext context;
    private String queue;

    @BeforeAll
    static void rabbitMq() {
        TestBrokers.requireRabbitMq();
    }

    @BeforeEach
    void start() throws Exception {
        context = new DefaultCamelContext();
        binding.bind(context, TestBrokers.rabbitMqCredential());
        context.start();
        queue = TestBrokers.unique("caravan-it");
        withChannel(ch -> ch.queueDeclare(queue, true, false, false, null));
    }

    @AfterEach
    void stop() throws Exception {
        context.stop();
        BrokerClients.rabbitDelete(queue);
    }

    interface ChannelWork {
        void run(com.rabbitmq.client.Channel ch) throws Exception;
    }

    private void withChannel(ChannelWork work) throws Exception {
        RabbitMqConnections connections = context.getRegistry().lookupByNameAndType(
                Bindings.beanName("rabbitmq-test"), RabbitMqConnections.class);
        try (com.rabbitmq.client.Channel ch = connections.channel()) {
            work.run(ch);
        }
    }

    private Channel channel(Map<String, Object> config) {
        return TestBrokers.channel("rabbitmq-test", queue, config);
    }

    private String send(Channel channel, String body, Map<String, String> attributes) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        binding.prepareSend(exchange, channel, attributes, Map.of());
        Exchange result = context.createProducerTemplate().send(binding.producerUri(channel), exchange);
        assertThat(result.getException()).isNull();
        return binding.sentMessageId(result);
    }

    @Test
    void sendsToAQueueAndReceives() throws Exception {
        Received received = Received.from(context, binding, binding.consumerUri(channel(Map.of())));
        String id = send(channel(Map.of()), "{\"n\":1}", Map.of("priority", "high"));
        assertThat(UUID.fromString(id)).isNotNull();

        List<ReceivedMessage> got = received.await(1, Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        ReceivedMessage m = got.get(0);
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.body()).isEqualTo("{\"n\":1}");
        assertThat(m.attributes()).isEqualTo(Map.of("priority", "high"));
        assertThat(m.receipt()).matches("\\d+");
        assertThat(Instant.parse(m.timestamp())).isBetween(Instant.now().minusSeconds(60), Instant.now());
    }

    @Test
    void sendsThroughAnExchangeToABoundQueue() throws Exception {
        String exchange = TestBrokers.unique("caravan-it-ex");
        Map<String, Object> config = Map.of("exchange", exchange, "routing_key", "orders");
        try {
            Received received = Received.from(context, binding, binding.consumerUri(channel(config)));
            send(TestBrokers.channel("rabbitmq-test", null, config), "via exchange", Map.of());
            assertThat(received.await(1, Duration.ofSeconds(20))).extracting(ReceivedMessage::body)
                    .containsExactly("via exchange");
        } finally {
            context.getRouteController().stopAllRoutes();
            withChannel(ch -> ch.exchangeDelete(exchange));
        }
    }

    @Test
    void controlHeadersFromTheBrokerNeverBecomeAttributes() throws Exception {
        withChannel(ch -> ch.basicPublish("", queue, new AMQP.BasicProperties.Builder()
                .headers(Map.of("CamelSpringRabbitmqRoutingOverrideKey", "elsewhere",
                        RabbitMqEndpoint.MESSAGE_ID, "forged", "ok", "yes"))
                .build(), "poison".getBytes(StandardCharsets.UTF_8)));
        List<ReceivedMessage> pulled = binding.pull(context, channel(Map.of()), 1, Duration.ofSeconds(5), false);
        assertThat(pulled).hasSize(1);
        assertThat(pulled.get(0).attributes()).isEqualTo(Map.of("ok", "yes"));

        Received received = Received.from(context, binding, binding.consumerUri(channel(Map.of())));
        List<ReceivedMessage> got = received.await(1, Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).attributes()).isEqualTo(Map.of("ok", "yes"));
    }

    @Test
    void pullHonoursMaxWaitAndDeleteAfter() throws Exception {
        for (int i = 0; i < 3; i++) {
            send(channel(Map.of()), "m" + i, Map.of("i", String.valueOf(i)));
        }
        List<ReceivedMessage> peek = binding.pull(context, channel(Map.of()), 2, Duration.ofSeconds(5), false);
        assertThat(peek).extracting(ReceivedMessage::body).containsExactly("m0", "m1");

        // nacked with requeue: all three are there again
        List<ReceivedMessage> taken = binding.pull(context, channel(Map.of()), 10, Duration.ofSeconds(2), true);
        assertThat(taken).extracting(ReceivedMessage::body).containsExactlyInAnyOrder("m0", "m1", "m2");

        long t = System.nanoTime();
        assertThat(binding.pull(context, channel(Map.of()), 10, Duration.ofMillis(500), true)).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void classifiesMissingQueueAndClosedPort() throws Exception {
        Channel missing = TestBrokers.channel("rabbitmq-test", TestBrokers.unique("absent"), Map.of());
        Throwable notFound = catchThrowable(() -> binding.pull(context, missing, 1, Duration.ofSeconds(1), false));
        assertThat(binding.classify(notFound, missing).code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        binding.bind(context, new Credential("rabbitmq-closed", "queue_rabbitmq",
                Map.of("url", "amqp://guest:it-secret-do-not-print@127.0.0.1:" + port + "/"), Set.of("url")));
        Channel closed = TestBrokers.channel("rabbitmq-closed", queue, Map.of());
        Throwable failure = catchThrowable(() -> binding.pull(context, closed, 1, Duration.ofSeconds(1), false));
        CaravanException e = binding.classify(failure, closed);
        assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED);
        assertThat(e.getMessage()).contains("127.0.0.1:" + port).doesNotContain("it-secret-do-not-print");
    }

    @Test
    void urisCarryNoSecret() {
        String uri = binding.consumerUri(channel(Map.of()));
        assertThat(uri).startsWith("caravan-rabbitmq:default?").contains("connection=#caravan-credential-rabbitmq-test",
                "queue=" + queue, "declare=true", "requeue=true").doesNotContain("guest");
        assertThat(binding.consumerUri(channel(Map.of()), true)).contains("declare=false", "requeue=false");
        assertThat(binding.producerUri(channel(Map.of()))).startsWith("caravan-rabbitmq:default?")
                .contains("routingKey=" + queue).doesNotContain("guest");
    }
}
