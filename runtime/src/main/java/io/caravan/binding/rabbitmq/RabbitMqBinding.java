package io.caravan.binding.rabbitmq;

import static io.caravan.binding.BindingSupport.q;

import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Provisioner;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.tls.Tls;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.util.List;
import java.util.Set;

/**
 * RabbitMQ (AMQP 0-9-1) on Caravan's own {@code caravan-rabbitmq} component (see
 * {@link RabbitMqComponent} for why not camel-spring-rabbitmq). Endpoints name the credential's
 * {@link RabbitMqConnections} ({@code connection=#...}); the URL holds the password, so it never
 * appears in a URI.
 */
public final class RabbitMqBinding implements Binding {

    public static final String QUEUE_TYPE = "rabbitmq";

    /** send_message: publish to this exchange instead of a queue; receive_message: bind the queue to it. */
    public static final Field EXCHANGE = Field.string("exchange", "send: the exchange to publish to instead of the"
            + " default exchange; receive: an exchange to bind the source queue to (without a source, the queue is"
            + " <exchange>.<workflow id>, so each workflow gets its own copy of every message); declared (durable) when"
            + " missing").withExample("orders");
    public static final Field EXCHANGE_TYPE = Field.choice("exchange_type", List.of("direct", "fanout", "topic", "headers"),
            "the exchange's type when Caravan declares it (an existing exchange is used as it is); default direct")
            .withExample("topic");
    public static final Field ROUTING_KEY = Field.string("routing_key", "send: the routing key (default: the"
            + " destination); receive: the older name of binding_key").withExample("created");
    public static final Field BINDING_KEY = Field.string("binding_key", "receive: the key the queue is bound to the"
            + " exchange with (topic exchanges: * matches one word, # zero or more; fanout and headers ignore it);"
            + " default: the source").withExample("orders.*.created");
    public static final Field BINDING_HEADERS = Field.of("binding_headers", Field.Kind.TEMPLATE_MAP, "receive from a"
            + " headers exchange: the header values a message must all have (x-match all), as plain text")
            .withExample("{region: eu}");

    /** send_message: wait for an answer over direct reply-to. */
    public static final Field REPLY = BindingSupport.reply(null, "RabbitMQ: over direct reply-to"
            + " (amq.rabbitmq.reply-to), to a destination queue");

    /** Within the longest message TTL RabbitMQ takes (2^32 - 1 ms, about 49.7 days). */
    static final java.time.Duration MAX_DELAY = java.time.Duration.ofDays(49);

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "RabbitMQ",
            new CredentialSpec("queue_rabbitmq", "a RabbitMQ (AMQP 0-9-1) virtual host", List.of(
                    Field.string("url", "amqp://user:password@host:5672/vhost, or amqps:// for TLS; a trailing / or"
                            + " none is the default vhost /").asRequired().asSecret().withExample("${RABBITMQ_URL}"),
                    Tls.CA_FILE)),
            List.of(EXCHANGE, EXCHANGE_TYPE, ROUTING_KEY, REPLY), List.of(EXCHANGE, EXCHANGE_TYPE, BINDING_KEY, ROUTING_KEY,
                    BINDING_HEADERS, BindingSupport.THREADS), Set.of(EXCHANGE.name()),
            new Capabilities("the queue's x-dead-letter-exchange: a failed message is rejected without requeue (the"
                    + " queue is the operator's, declared with that argument)", "{source}.dlq", Capabilities.Ordering.QUEUE,
                    true, RabbitMqBinding.MAX_DELAY, true, false, List.of(Capabilities.RunOrder.NONE)));

    private final RabbitMqProvisioner provisioner = new RabbitMqProvisioner();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public Provisioner provisioner() {
        return provisioner;
    }

    /**
     * The queue is declared durable (a broker restart keeps it), and bound to {@code exchange}
     * when the node names one: with {@code binding_key} (or the older {@code routing_key}, else
     * the queue's name), or {@code binding_headers} on a headers exchange; the exchange is declared
     * with {@code exchange_type} when missing. A failure the workflow did not handle is
     * nacked with requeue, not dropped (with no dead-letter exchange a rejected message is gone).
     *
     * <p>Native dead letters: a failed message is rejected without requeue, so the queue's own
     * x-dead-letter-exchange takes it. The queue is then the operator's, declared with that
     * argument; Caravan does not declare it, because declaring an existing queue with other
     * arguments fails with PRECONDITION_FAILED (inequivalent arg).
     */
    @Override
    public String consumerUri(Channel channel, boolean nativeDeadLetter) {
        String queue = channel.address();
        String exchange = BindingSupport.field(channel, EXCHANGE).orElse(null);
        // max_messages, when the node sets it, is the prefetch
        int prefetch = BindingSupport.setsMaxMessages(channel)
                ? BindingSupport.maxMessages(channel) : RabbitMqComponent.DEFAULT_PREFETCH;
        StringBuilder uri = new StringBuilder("caravan-rabbitmq:").append(exchange == null ? "default" : exchange)
                .append("?connection=#").append(Bindings.beanName(channel.credentialId()))
                .append("&queue=").append(q(queue));
        if (exchange != null) {
            uri.append("&routingKey=").append(q(BindingSupport.field(channel, BINDING_KEY)
                    .or(() -> BindingSupport.field(channel, ROUTING_KEY)).orElse(queue)));
            BindingSupport.field(channel, EXCHANGE_TYPE).ifPresent(type -> uri.append("&exchangeType=").append(type));
            if (channel.config() != null && channel.config().get(BINDING_HEADERS.name()) instanceof java.util.Map<?, ?> headers
                    && !headers.isEmpty()) {
                uri.append("&bindHeaders=").append(q(bindHeaders(headers)));
            }
        }
        return uri.append("&declare=").append(!nativeDeadLetter)
                .append("&requeue=").append(!nativeDeadLetter)
                .append("&prefetch=").append(prefetch).append(BindingSupport.orderingOptions(channel)).toString();
    }

    /** {@code name=value} pairs joined by {@code &}, each part URL-encoded: the component decodes them. */
    private static String bindHeaders(java.util.Map<?, ?> headers) {
        return headers.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey((a, b) -> String.valueOf(a)
                .compareTo(String.valueOf(b)))).map(e -> q(String.valueOf(e.getKey())) + "=" + q(String.valueOf(e.getValue())))
                .collect(java.util.stream.Collectors.joining("&"));
    }

    /**
     * To a queue: the default exchange with the queue name as routing key. With {@code exchange}:
     * that exchange (declared with {@code exchange_type} when missing) and {@code routing_key}. The send completes when the broker confirms it.
     */
    @Override
    public String producerUri(Channel channel) {
        String exchange = BindingSupport.field(channel, EXCHANGE).orElse(null);
        String routingKey = BindingSupport.field(channel, ROUTING_KEY)
                .orElse(channel.address() == null ? "" : channel.address());
        return "caravan-rabbitmq:" + (exchange == null ? "default" : exchange)
                + "?connection=#" + Bindings.beanName(channel.credentialId()) + "&routingKey=" + q(routingKey)
                + (exchange == null ? "" : BindingSupport.field(channel, EXCHANGE_TYPE).map(t -> "&exchangeType=" + t).orElse(""))
                + (channel.config() != null && channel.config().has(io.caravan.workflow.NodeSpecs.Send.PRIORITY)
                        ? "&prioritized=true" : "");
    }

}
