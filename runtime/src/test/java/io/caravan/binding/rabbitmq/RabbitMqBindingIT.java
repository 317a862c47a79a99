package io.caravan.binding.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import io.caravan.binding.Binding;
import io.caravan.binding.BrokerConformance;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.testing.Await;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RabbitMQ (the one on 127.0.0.1:5672) through the conformance suite, and exchanges. */
class RabbitMqBindingIT extends BrokerConformance {

    private final RabbitMqBinding binding = new RabbitMqBinding();

    @BeforeAll
    static void rabbitMq() {
        TestBrokers.requireRabbitMq();
    }

    @Override
    protected Binding binding() {
        return binding;
    }

    @Override
    protected Credential credential() {
        return TestBrokers.rabbitMqCredential();
    }

    @Override
    protected Credential unreachable(int port, String secret) {
        return new Credential("rabbitmq-down", "queue_rabbitmq", Map.of("url", "amqp://guest:" + secret + "@127.0.0.1:"
                + port + "/"), Set.of("url"));
    }

    /** The URL's password: the RabbitMQ on 5672 refuses it. */
    @Override
    protected Credential credentialWithSecret(String field, String secret) {
        return new Credential("rabbitmq-secret", "queue_rabbitmq", Map.of(field, "amqp://guest:" + secret
                + "@127.0.0.1:5672/"), Set.of("url"));
    }

    @Override
    protected String newAddress() throws Exception {
        String queue = TestBrokers.unique("caravan-it");
        BrokerClients.rabbitDeclare(queue);
        return queue;
    }

    @Override
    protected void publish(String queue, String body, Map<String, String> attributes) throws Exception {
        try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
            ch.basicPublish("", queue, new AMQP.BasicProperties.Builder().headers(new LinkedHashMap<>(attributes)).build(),
                    body.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Override
    protected List<RawMessage> take(String queue, int count, Duration within) throws Exception {
        List<RawMessage> out = new ArrayList<>();
        try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
            long deadline = System.nanoTime() + within.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                GetResponse r = ch.basicGet(queue, true);
                if (r == null) {
                    Thread.sleep(50);
                    continue;
                }
                Map<String, String> attributes = new LinkedHashMap<>();
                if (r.getProps().getHeaders() != null) {
                    r.getProps().getHeaders().forEach((k, v) -> attributes.put(k, String.valueOf(v)));
                }
                out.add(new RawMessage(new String(r.getBody(), StandardCharsets.UTF_8), attributes));
            }
        }
        return out;
    }

    @Override
    protected void remove(String queue) throws Exception {
        BrokerClients.rabbitDelete(queue);
    }

    @Test
    void sendsThroughAnExchangeToABoundQueue() throws Exception {
        String queue = address();
        String exchange = TestBrokers.unique("caravan-it-ex");
        Map<String, Object> config = Map.of("exchange", exchange, "routing_key", "orders");
        try {
            List<ReceivedMessage> received = new java.util.concurrent.CopyOnWriteArrayList<>();
            String uri = binding.consumerUri(TestBrokers.channel("rabbitmq-test", queue, config), false);
            context.addRoutes(new org.apache.camel.builder.RouteBuilder() {
                @Override
                public void configure() {
                    from(uri).process(e -> received.add(io.caravan.binding.Messages.received(e)));
                }
            });
            context.createProducerTemplate().sendBody(binding.producerUri(TestBrokers.channel("rabbitmq-test", null, config)),
                    "via exchange");
            Await.until("the message arrives through the exchange", Duration.ofSeconds(20), () -> !received.isEmpty());
            assertThat(received).extracting(ReceivedMessage::body).containsExactly("via exchange");
        } finally {
            context.getRouteController().stopAllRoutes();
            try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
                ch.exchangeDelete(exchange);
            }
        }
    }

    /**
     * Bytes that are not UTF-8 (seen with pika: b'\\xff\\xfe not json \\x00') reached the dead
     * letter as U+FFFD replacement characters: the consumer's text was dead-lettered, not the
     * broker's bytes. The dead letter now carries the bytes RabbitMQ delivered.
     */
    @Test
    void aDeadLetterCarriesTheBrokersBytesUnchanged() throws Exception {
        String source = address();
        String dlq = address();
        try (var runtime = poisoned(source, dlq)) {
            try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
                ch.basicPublish("", source, null, NOT_UTF8);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                GetResponse letter = null;
                while (letter == null && System.nanoTime() < deadline) {
                    letter = ch.basicGet(dlq, true);
                    Thread.sleep(letter == null ? 50 : 0);
                }
                assertThat(letter).as("the dead letter in " + dlq).isNotNull();
                assertThat(letter.getBody()).isEqualTo(NOT_UTF8);
                assertThat(letter.getProps().getHeaders()).containsKey("caravan-error-code");
            }
        }
    }

    @Test
    void aNativeDeadLetterConsumerLeavesTheQueueToItsOperator() {
        assertThat(binding.consumerUri(channel("q"), false)).contains("declare=true", "requeue=true");
        assertThat(binding.consumerUri(channel("q"), true)).contains("declare=false", "requeue=false");
    }
}
