package io.caravan.binding.rabbitmq;

import static io.caravan.binding.BindingSupport.q;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.QueueDepth;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;

/**
 * RabbitMQ (AMQP 0-9-1) on Caravan's own {@code caravan-rabbitmq} component (see
 * {@link RabbitMqComponent} for why not camel-spring-rabbitmq). The credential's URL becomes a
 * {@link RabbitMqConnections} in the registry ({@code connection=#...}); the URL holds the
 * password, so it never appears in a URI.
 *
 * <p>{@link #pull} (the receive_message action) uses {@code basic.get} on the bound connection
 * instead of a Camel consumer: the action takes a bounded batch once and acknowledges only when
 * asked (otherwise it nacks with requeue), while a consumer would keep consuming.
 */
public final class RabbitMqBinding implements Binding {

    /** Queues known to exist, by credential/queue: checked once before the first send. */
    private final Set<String> ensured = ConcurrentHashMap.newKeySet();

    public static final String QUEUE_TYPE = "rabbitmq";

    /** send_message: publish to this exchange instead of a queue; receive_message: bind the queue to it. */
    public static final Field EXCHANGE = Field.string("exchange", "send: the exchange to publish to instead of the"
            + " default exchange; receive: an exchange (direct, declared if missing) to bind the source queue to")
            .withExample("orders");
    public static final Field ROUTING_KEY = Field.string("routing_key", "send: the routing key (default: the"
            + " destination); receive: the binding key on the exchange (default: the source)").withExample("created");

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "RabbitMQ",
            new CredentialSpec("queue_rabbitmq", "a RabbitMQ (AMQP 0-9-1) virtual host", List.of(
                    Field.string("url", "amqp://user:password@host:5672/vhost, or amqps:// for TLS; a trailing / or"
                            + " none is the default vhost /").asRequired().asSecret().withExample("${RABBITMQ_URL}"))),
            List.of(EXCHANGE, ROUTING_KEY), List.of(EXCHANGE, ROUTING_KEY), Set.of(EXCHANGE.name()),
            new Capabilities("the queue's x-dead-letter-exchange: a failed message is rejected without requeue (the"
                    + " queue is the operator's, declared with that argument)", null, Capabilities.Ordering.QUEUE,
                    false, false, true, false));

    private final Map<String, String> addresses = new ConcurrentHashMap<>();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public void bind(CamelContext context, Credential credential) {
        com.rabbitmq.client.ConnectionFactory rabbit = new com.rabbitmq.client.ConnectionFactory();
        URI url;
        try {
            url = URI.create(credential.string("url"));
            rabbit.setUri(url);
            if ("/".equals(url.getRawPath())) {
                // The AMQP URI spec and the Java client read amqp://host/ as the empty vhost ""; the
                // Go and Python clients, and the seeds' own test URL, mean the default vhost "/"
                // (FIELD-NOTES). "%2f" is "/" either way.
                rabbit.setVirtualHost("/");
            }
            if ("amqps".equalsIgnoreCase(url.getScheme())) {
                // setUri alone would trust every certificate; use the JVM's trust store and check the host
                rabbit.useSslProtocol(SSLContext.getDefault());
                rabbit.enableHostnameVerification();
            }
        } catch (Exception e) {
            // the parser's message quotes the URL, password included
            throw new IllegalArgumentException("credential " + credential.id()
                    + ": url is not a valid amqp:// or amqps:// URL");
        }
        RabbitMqConnections connections = new RabbitMqConnections(rabbit, "caravan:" + credential.id());
        addresses.put(credential.id(), connections.address());

        String name = Bindings.beanName(credential.id());
        if (context.getRegistry().lookupByName(name) instanceof RabbitMqConnections old) {
            context.getRegistry().unbind(name);
            old.close();
        }
        context.getRegistry().bind(name, RabbitMqConnections.class, connections);
    }

    @Override
    public String consumerUri(Channel channel) {
        return consumerUri(channel, false);
    }

    /**
     * The queue is declared durable (a broker restart keeps it), and bound to {@code exchange}
     * with {@code routing_key} when the node names one. A failure the workflow did not handle is
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
            uri.append("&routingKey=").append(q(BindingSupport.field(channel, ROUTING_KEY).orElse(queue)));
        }
        return uri.append("&declare=").append(!nativeDeadLetter)
                .append("&requeue=").append(!nativeDeadLetter)
                .append("&prefetch=").append(prefetch).toString();
    }

    /**
     * To a queue: the default exchange with the queue name as routing key. With {@code exchange}:
     * that exchange and {@code routing_key}. The send completes when the broker confirms it.
     */
    @Override
    public String producerUri(Channel channel) {
        String exchange = BindingSupport.field(channel, EXCHANGE).orElse(null);
        String routingKey = BindingSupport.field(channel, ROUTING_KEY)
                .orElse(channel.address() == null ? "" : channel.address());
        return "caravan-rabbitmq:" + (exchange == null ? "default" : exchange)
                + "?connection=#" + Bindings.beanName(channel.credentialId()) + "&routingKey=" + q(routingKey);
    }

    /** None: the consumer keeps what it acknowledges with in its own state, not in headers. */
    @Override
    public Set<String> consumerHeaders() {
        return Set.of();
    }

    @Override
    public ReceivedMessage received(Exchange exchange) {
        org.apache.camel.Message in = exchange.getMessage();
        Map<String, String> attributes = new LinkedHashMap<>();
        // the AMQP headers table arrives as plain exchange headers, beside the consumer's Camel* ones
        in.getHeaders().forEach((name, value) -> {
            if (!BindingSupport.isControlName(name) && value != null) {
                attributes.put(name, BindingSupport.text(value));
            }
        });
        Long tag = in.getHeader(RabbitMqEndpoint.DELIVERY_TAG, Long.class);
        String id = in.getHeader(RabbitMqEndpoint.MESSAGE_ID, String.class);
        Date timestamp = in.getHeader(RabbitMqEndpoint.TIMESTAMP, Date.class);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("redelivered", Boolean.TRUE.equals(in.getHeader(RabbitMqEndpoint.REDELIVERED)));
        String receipt = tag == null ? null : tag.toString();
        return new ReceivedMessage(id != null ? id : receipt, BindingSupport.text(in.getBody()), attributes, receipt,
                timestamp == null ? null : timestamp.toInstant().toString(), metadata);
    }


    /** AMQP has no broker-assigned id, so Caravan sets the message-id property to a UUID. */
    @Override
    public void prepareSend(Exchange exchange, Channel channel, Map<String, String> attributes,
                            Map<String, String> renderedFields) {
        org.apache.camel.Message out = exchange.getMessage();
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name) && value != null) {
                out.setHeader(name, value);
            }
        });
        out.setHeader(RabbitMqEndpoint.MESSAGE_ID, UUID.randomUUID().toString());
        out.setHeader(RabbitMqEndpoint.TIMESTAMP, new Date());
        out.setHeader(RabbitMqEndpoint.CONTENT_TYPE, "text/plain");
        out.setHeader(RabbitMqEndpoint.CONTENT_ENCODING, "UTF-8");
        if (BindingSupport.field(channel, EXCHANGE).isEmpty()) {
            ensureQueue(exchange.getContext(), channel);
        }
    }

    /**
     * RabbitMQ silently drops a message published to a queue that does not exist, so before the
     * first send to a queue Caravan makes sure it exists: a passive declare (which does not
     * compare arguments, so a quorum or dead-lettering queue the operator made is left as it
     * is), and a durable declare only when it is missing. Checked once per queue and credential.
     */
    private void ensureQueue(CamelContext context, Channel channel) {
        String queue = channel.address();
        if (queue == null || queue.isEmpty() || !ensured.add(channel.credentialId() + "/" + queue)) {
            return;
        }
        RabbitMqConnections connections = connections(context, channel);
        try {
            try (com.rabbitmq.client.Channel ch = connections.channel()) {
                ch.queueDeclarePassive(queue);
            } catch (java.io.IOException missing) {
                // a 404 closes the channel: declare on a fresh one
                try (com.rabbitmq.client.Channel ch = connections.channel()) {
                    ch.queueDeclare(queue, true, false, false, null);
                }
            }
        } catch (Exception e) {
            ensured.remove(channel.credentialId() + "/" + queue);
            throw e instanceof RuntimeException re ? re : new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public String sentMessageId(Exchange exchange) {
        return exchange.getMessage().getHeader(RabbitMqEndpoint.MESSAGE_ID, String.class);
    }

    @Override
    public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait,
                                      boolean deleteAfter) throws Exception {
        long deadline = System.nanoTime() + wait.toNanos();
        List<ReceivedMessage> taken = new ArrayList<>();
        try (com.rabbitmq.client.Channel ch = connections(context, channel).channel()) {
            long lastTag = -1;
            while (taken.size() < max) {
                GetResponse r = ch.basicGet(channel.address(), false);
                if (r == null) {
                    if (System.nanoTime() >= deadline) {
                        break;
                    }
                    Thread.sleep(50); // basic.get does not block; poll until the wait is over
                    continue;
                }
                lastTag = r.getEnvelope().getDeliveryTag();
                taken.add(toReceived(r));
            }
            if (lastTag >= 0) {
                if (deleteAfter) {
                    ch.basicAck(lastTag, true);
                } else {
                    ch.basicNack(lastTag, true, true);
                }
            }
        }
        return taken;
    }

    /**
     * The ready-message count from a passive queue.declare on the bound connection factory
     * (it fails with 404 when the queue does not exist and declares nothing). AMQP does not say
     * how many are delivered and unacknowledged. A send to an exchange has no queue: empty.
     */
    @Override
    public Optional<QueueDepth> depth(CamelContext context, Channel channel) throws Exception {
        if (channel.address() == null || channel.address().isBlank()) {
            return Optional.empty();
        }
        try (com.rabbitmq.client.Channel ch = connections(context, channel).channel()) {
            return Optional.of(QueueDepth.of(ch.queueDeclarePassive(channel.address()).getMessageCount()));
        }
    }

    private static RabbitMqConnections connections(CamelContext context, Channel channel) {
        RabbitMqConnections connections = context.getRegistry().lookupByNameAndType(
                Bindings.beanName(channel.credentialId()), RabbitMqConnections.class);
        if (connections == null) {
            throw new IllegalStateException("credential " + channel.credentialId() + " is not bound to RabbitMQ");
        }
        return connections;
    }

    private static ReceivedMessage toReceived(GetResponse r) {
        AMQP.BasicProperties p = r.getProps();
        Map<String, String> attributes = new LinkedHashMap<>();
        if (p.getHeaders() != null) {
            p.getHeaders().forEach((name, value) -> {
                if (!BindingSupport.isControlName(name) && value != null) {
                    attributes.put(name, BindingSupport.text(value));
                }
            });
        }
        String tag = String.valueOf(r.getEnvelope().getDeliveryTag());
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("redelivered", r.getEnvelope().isRedeliver());
        return new ReceivedMessage(p.getMessageId() != null ? p.getMessageId() : tag,
                new String(r.getBody(), StandardCharsets.UTF_8), attributes, tag,
                p.getTimestamp() == null ? null : p.getTimestamp().toInstant().toString(), metadata);
    }

    @Override
    public CaravanException classify(Throwable failure, Channel channel) {
        if (failure instanceof CaravanException ce) {
            return ce;
        }
        String queue = channel == null ? "?" : channel.address();
        // a missing queue or exchange closes the channel with reply code 404 NOT_FOUND
        boolean notFound = BindingSupport.cause(failure, ShutdownSignalException.class)
                .map(s -> s.getReason() instanceof AMQP.Channel.Close c && c.getReplyCode() == AMQP.NOT_FOUND)
                .orElse(false)
                || BindingSupport.brokerMessage(failure).contains("NOT_FOUND");
        if (notFound) {
            return BindingSupport.queueNotFound(QUEUE_TYPE, queue, failure, channel);
        }
        // a hard (connection-level) shutdown: the connection is lost or still recovering
        boolean connectionLost = BindingSupport.cause(failure, ShutdownSignalException.class)
                .map(ShutdownSignalException::isHardError).orElse(false);
        if (BindingSupport.isUnreachable(failure) || connectionLost) {
            String address = channel == null ? null : addresses.get(channel.credentialId());
            return BindingSupport.connectionFailed(QUEUE_TYPE, address == null ? "(unbound credential)" : address,
                    failure, channel);
        }
        return BindingSupport.other(QUEUE_TYPE, failure, channel);
    }
}
