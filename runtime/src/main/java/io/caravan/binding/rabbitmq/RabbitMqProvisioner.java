package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.ShutdownSignalException;
import io.caravan.CaravanException;
import io.caravan.binding.Provisioner;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.QueueDepth;
import io.caravan.tls.Tls;
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
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;

/**
 * RabbitMQ outside a route. The credential's URL becomes a {@link RabbitMqConnections} in the
 * registry; the URL holds the password, so it never appears in a URI or a message.
 *
 * <p>{@link #pull} (the receive_message action) uses {@code basic.get} on the bound connection
 * instead of a consumer: the action takes a bounded batch once and acknowledges only when asked
 * (otherwise it nacks with requeue), while a consumer would keep consuming.
 */
final class RabbitMqProvisioner implements Provisioner {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RabbitMqProvisioner.class);

    private static final String QUEUE_TYPE = RabbitMqBinding.QUEUE_TYPE;

    private final Map<String, String> addresses = new ConcurrentHashMap<>();

    @Override
    public void bind(CamelContext context, Credential credential) {
        com.rabbitmq.client.ConnectionFactory rabbit = factory(credential);
        RabbitMqConnections connections = new RabbitMqConnections(rabbit, "caravan:" + credential.id());
        addresses.put(credential.id(), connections.address());

        String name = Bindings.beanName(credential.id());
        if (context.getRegistry().lookupByName(name) instanceof RabbitMqConnections old) {
            context.getRegistry().unbind(name);
            old.close();
        }
        context.getRegistry().bind(name, RabbitMqConnections.class, connections);
    }

    /** The credential's connection factory: its URL read as the other clients read it, TLS checked. */
    static com.rabbitmq.client.ConnectionFactory factory(Credential credential) {
        com.rabbitmq.client.ConnectionFactory rabbit = new com.rabbitmq.client.ConnectionFactory();
        try {
            URI url = URI.create(credential.string("url"));
            rabbit.setUri(url);
            if ("/".equals(url.getRawPath())) {
                // The AMQP URI spec and the Java client read amqp://host/ as the empty vhost ""; the
                // Go and Python clients, and the seeds' own test URL, mean the default vhost "/"
                // (FIELD-NOTES). "%2f" is "/" either way.
                rabbit.setVirtualHost("/");
            }
        } catch (Exception e) {
            // the parser's message quotes the URL, password included
            throw new IllegalArgumentException("credential " + credential.id()
                    + ": url is not a valid amqp:// or amqps:// URL");
        }
        if (rabbit.isSSL()) {
            // setUri alone would trust every certificate: trust the credential's CA file or the JVM's
            // trust store, and check the host name
            rabbit.useSslProtocol(Tls.context(credential));
            rabbit.enableHostnameVerification();
        }
        rabbit.setExceptionHandler(new RabbitMqExceptionHandler());
        return rabbit;
    }

    /** Opens one connection and closes it: a refused login or a missing virtual host is reported. */
    @Override
    public Optional<String> probe(Credential credential, Duration timeout) {
        com.rabbitmq.client.ConnectionFactory rabbit = factory(credential);
        rabbit.setAutomaticRecoveryEnabled(false);
        rabbit.setConnectionTimeout((int) timeout.toMillis());
        rabbit.setHandshakeTimeout((int) timeout.toMillis());
        String address = rabbit.getHost() + ":" + rabbit.getPort();
        try (com.rabbitmq.client.Connection ignored = rabbit.newConnection("caravan-validate:" + credential.id())) {
            return Optional.empty();
        } catch (Exception e) {
            if (BindingSupport.isUnreachable(e) || BindingSupport.cause(e, java.util.concurrent.TimeoutException.class)
                    .isPresent()) {
                return Optional.empty();
            }
            return Optional.of(refusal(e, address, rabbit.getVirtualHost())
                    .orElse("rabbitmq at " + address + " refused the connection: " + BindingSupport.brokerMessage(e)));
        }
    }

    /**
     * What RabbitMQ refused at connection level, in its words: the virtual host (530 NOT_ALLOWED,
     * missing or not permitted for the user) or the login. Empty for any other failure.
     */
    static Optional<String> refusal(Throwable failure, String address, String vhost) {
        Optional<AMQP.Connection.Close> close = BindingSupport.cause(failure, ShutdownSignalException.class)
                .map(ShutdownSignalException::getReason)
                .filter(AMQP.Connection.Close.class::isInstance).map(AMQP.Connection.Close.class::cast);
        if (close.isPresent() && close.get().getReplyCode() == AMQP.NOT_ALLOWED) {
            String said = close.get().getReplyText();
            return Optional.of("rabbitmq at " + address + " refused virtual host '" + vhost + "': " + said
                    + (said.contains("not found") ? " (create it with rabbitmqctl add_vhost, or correct the"
                    + " credential's url: amqp://host:port/ is the default vhost \"/\")" : ""));
        }
        if (BindingSupport.cause(failure, com.rabbitmq.client.AuthenticationFailureException.class).isPresent()
                || BindingSupport.cause(failure, com.rabbitmq.client.PossibleAuthenticationFailureException.class).isPresent()) {
            return Optional.of("rabbitmq at " + address + " refused the login: " + BindingSupport.brokerMessage(failure));
        }
        return Optional.empty();
    }

    /**
     * Makes sure the queue exists: a passive declare (which does not compare arguments, so a quorum
     * or dead-lettering queue the operator made is left as it is), and a durable declare only when
     * it is missing. A send to an exchange has no queue to provision.
     */
    @Override
    public void provision(CamelContext context, Channel channel, boolean consumed) throws Exception {
        boolean prioritized = channel.config() != null && channel.config().has(io.caravan.workflow.NodeSpecs.Send.PRIORITY);
        if (channel.address() != null && !channel.address().isBlank()) {
            ensureQueue(connections(context, channel), channel.address(), prioritized);
        }
    }

    /**
     * Makes sure the exchange exists: a passive declare, so an operator's exchange (of whatever
     * type and arguments) is used as it is, and a durable declare of {@code type} when missing.
     */
    static void ensureExchange(RabbitMqConnections connections, String exchange, String type) throws Exception {
        try (com.rabbitmq.client.Channel ch = connections.channel()) {
            ch.exchangeDeclarePassive(exchange);
        } catch (java.io.IOException missing) {
            // a 404 closes the channel: declare on a fresh one
            try (com.rabbitmq.client.Channel ch = connections.channel()) {
                ch.exchangeDeclare(exchange, type, true);
            }
        }
    }

    static void ensureQueue(RabbitMqConnections connections, String queue) throws Exception {
        ensureQueue(connections, queue, false);
    }

    /**
     * @param prioritized a workflow sends to it with a priority: a queue Caravan declares gets
     *                    {@code x-max-priority: 10}; an existing one without it gets a warning
     *                    (priorities are then ignored), since RabbitMQ cannot add it later
     */
    static void ensureQueue(RabbitMqConnections connections, String queue, boolean prioritized) throws Exception {
        Map<String, Object> args = prioritized ? Map.of("x-max-priority", MAX_PRIORITY) : null;
        try (com.rabbitmq.client.Channel ch = connections.channel()) {
            ch.queueDeclarePassive(queue);
        } catch (java.io.IOException missing) {
            // a 404 closes the channel: declare on a fresh one
            try (com.rabbitmq.client.Channel ch = connections.channel()) {
                ch.queueDeclare(queue, true, false, false, args);
            }
            return;
        }
        if (prioritized) {
            // declaring with the argument is a no-op when the queue has it and a 406 (inequivalent
            // arg) when not; the 406 closes only this throwaway channel
            try (com.rabbitmq.client.Channel ch = connections.channel()) {
                ch.queueDeclare(queue, true, false, false, args);
            } catch (java.io.IOException | com.rabbitmq.client.AlreadyClosedException e) {
                LOG.warn("RabbitMQ queue '{}' was declared without x-max-priority (or with other arguments): it ignores"
                        + " the priority workflows send with; declare it again with x-max-priority {}", queue, MAX_PRIORITY);
            }
        }
    }

    /** x-max-priority of the queues Caravan declares for prioritized sends: priorities 0-9 plus room. */
    static final int MAX_PRIORITY = 10;

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
        return toReceived(r.getEnvelope(), r.getProps(), r.getBody());
    }

    /**
     * A delivery in the seed's shape: the AMQP headers (but control names) as attributes, the
     * message-id property as id (else the delivery tag), the delivery tag as receipt.
     */
    static ReceivedMessage toReceived(com.rabbitmq.client.Envelope envelope, AMQP.BasicProperties p, byte[] body) {
        Map<String, String> attributes = new LinkedHashMap<>();
        if (p.getHeaders() != null) {
            p.getHeaders().forEach((name, value) -> {
                if (!BindingSupport.isControlName(name) && value != null) {
                    attributes.put(name, BindingSupport.text(value));
                }
            });
        }
        String tag = String.valueOf(envelope.getDeliveryTag());
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("redelivered", envelope.isRedeliver());
        // an RPC client's answer address and request id (the RabbitMQ tutorials' convention)
        if (p.getReplyTo() != null) {
            metadata.put("reply_to", p.getReplyTo());
        }
        if (p.getCorrelationId() != null) {
            metadata.put("correlation_id", p.getCorrelationId());
        }
        // quorum queues count earlier deliveries in x-delivery-count
        // (https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling); classic queues count none
        if (p.getHeaders() != null && p.getHeaders().get("x-delivery-count") instanceof Number earlier) {
            metadata.put(ReceivedMessage.DELIVERY_COUNT, earlier.intValue() + 1);
        }
        return new ReceivedMessage(p.getMessageId() != null ? p.getMessageId() : tag,
                new String(body, StandardCharsets.UTF_8), attributes, tag,
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
        String bound = channel == null ? null : addresses.get(channel.credentialId());
        Optional<String> refused = refusal(failure, bound == null ? "(unbound credential)" : hostPort(bound),
                bound == null ? "?" : vhost(bound));
        if (refused.isPresent()) {
            return new CaravanException(io.caravan.ErrorCode.CONNECTION_FAILED, refused.get(),
                    channel == null ? null : channel.nodeId(), failure);
        }
        // a hard (connection-level) shutdown: the connection is lost or still recovering
        boolean connectionLost = BindingSupport.cause(failure, ShutdownSignalException.class)
                .map(ShutdownSignalException::isHardError).orElse(false);
        if (BindingSupport.isUnreachable(failure) || connectionLost || BindingSupport.isTlsFailure(failure)) {
            String address = channel == null ? null : addresses.get(channel.credentialId());
            return BindingSupport.connectionFailed(QUEUE_TYPE, address == null ? "(unbound credential)" : address,
                    failure, channel);
        }
        return BindingSupport.other(QUEUE_TYPE, failure, channel);
    }

    /** host:port of a {@link RabbitMqConnections#address()} (host:port/vhost). */
    private static String hostPort(String address) {
        int slash = address.indexOf('/');
        return slash < 0 ? address : address.substring(0, slash);
    }

    private static String vhost(String address) {
        int slash = address.indexOf('/');
        return slash < 0 ? "/" : address.substring(slash + 1);
    }

    /**
     * Publishes the answer to the default exchange with the reply-to as routing key (a queue, or
     * RabbitMQ's direct reply-to pseudo-queue {@code amq.rabbitmq.reply-to.*}) and the request's
     * correlation id as AMQP property, and waits for the publisher confirm.
     */
    @Override
    public String reply(CamelContext context, Channel channel, String correlationId, String body,
                        Map<String, String> attributes) throws Exception {
        Map<String, Object> headers = new LinkedHashMap<>();
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name)) {
                headers.put(name, value);
            }
        });
        String id = java.util.UUID.randomUUID().toString();
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder().messageId(id).correlationId(correlationId)
                .contentType("text/plain").contentEncoding("UTF-8").timestamp(new java.util.Date()).headers(headers).build();
        try (com.rabbitmq.client.Channel ch = connections(context, channel).channel()) {
            ch.confirmSelect();
            ch.basicPublish("", channel.address(), props, body.getBytes(StandardCharsets.UTF_8));
            ch.waitForConfirmsOrDie(10_000);
        }
        return id;
    }

    private final Map<RabbitMqConnections, RabbitMqRequests> requests = new ConcurrentHashMap<>();

    /** A request to the queue (default exchange) over direct reply-to ({@link RabbitMqRequests}). */
    @Override
    public Optional<Reply> request(CamelContext context, Channel channel, String body, Map<String, String> attributes,
                                   String replyTo, Duration timeout) throws Exception {
        RabbitMqConnections connections = connections(context, channel);
        ensureQueue(connections, channel.address());
        return requests.computeIfAbsent(connections, RabbitMqRequests::new)
                .request("", channel.address(), body, attributes, timeout);
    }

    @Override
    public io.caravan.binding.DeadLetterQueue deadLetters(CamelContext context, Channel channel) throws Exception {
        return new RabbitMqDeadLetters(connections(context, channel), channel);
    }
}
