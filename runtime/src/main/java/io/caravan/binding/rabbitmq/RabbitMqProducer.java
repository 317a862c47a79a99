package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Return;
import com.rabbitmq.client.ShutdownSignalException;
import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Messages;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Publishes persistent messages on one channel in confirm mode and completes each exchange when
 * the broker confirms it, without waiting in between: publisher confirms handled asynchronously
 * as in https://www.rabbitmq.com/docs/confirms#publisher-confirms and
 * https://www.rabbitmq.com/tutorials/tutorial-seven-java (strategy 3). Sends in flight are kept
 * by publish sequence number; an ack or nack may be {@code multiple} (every number up to it).
 *
 * <p>Every publish is {@code mandatory}: RabbitMQ confirms a message that no queue took (a queue
 * deleted while Caravan runs, an exchange whose binding was removed) and drops it, unless it is
 * mandatory, when it first sends it back with basic.return
 * (https://www.rabbitmq.com/docs/publishers#unroutable). The return comes before the ack on the
 * same channel (https://www.rabbitmq.com/docs/confirms#when-publishes-are-confirmed), so a
 * returned send is marked, and its ack then fails it with QUEUE_NOT_FOUND instead of completing
 * it: retry, dead letter and the source's redelivery apply, and nothing is counted as sent.
 * Returns are matched to sends by message id; the producer gives every message one.
 */
final class RabbitMqProducer extends DefaultAsyncProducer {

    private final RabbitMqEndpoint endpoint;
    /** Publishing and taking the next sequence number must not interleave: one at a time. */
    private final Object lock = new Object();
    private Confirms confirms; // guarded by lock
    private volatile boolean queueEnsured;
    /** Holding queues declared by this producer ({@link #holdingQueue}). */
    private final java.util.Set<String> holding = java.util.concurrent.ConcurrentHashMap.newKeySet();

    RabbitMqProducer(RabbitMqEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        try {
            Message message = exchange.getMessage();
            byte[] body = message.getMandatoryBody(byte[].class);
            ensureQueue();
            AMQP.BasicProperties properties = properties(message);
            java.util.Optional<java.time.Duration> delay = Messages.delay(message);
            // a delayed message waits in a holding queue whose TTL dead-letters it to the destination
            String exchangeName = delay.isPresent() ? "" : endpoint.exchange();
            String routingKey = delay.isPresent() ? holdingQueue(delay.get()) : endpoint.routingKey();
            synchronized (lock) {
                Confirms c = confirms();
                long seq = c.channel.getNextPublishSeqNo();
                if (seq == 0) {
                    // a recovered channel is back in confirm mode only once its recovery completes
                    throw new AlreadyClosedException(new ShutdownSignalException(true, false, null, c.channel));
                }
                c.pending.put(seq, new Pending(exchange, callback, properties.getMessageId()));
                try {
                    c.channel.basicPublish(exchangeName, routingKey, true, properties, body);
                } catch (IOException | RuntimeException e) {
                    if (c.pending.remove(seq) == null) {
                        return false; // the channel's shutdown already failed it
                    }
                    throw e;
                }
            }
            return false;
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
    }

    /**
     * The channel, opened on first use. A channel closed by a channel error (its connection
     * still open) is replaced; one whose connection is down is left to automatic recovery, and
     * publishing on it fails with AlreadyClosedException until then.
     */
    private Confirms confirms() throws Exception {
        if (confirms == null || !confirms.channel.isOpen() && confirms.channel.getConnection().isOpen()) {
            Channel channel = endpoint.connections().publishing().createChannel();
            channel.confirmSelect();
            confirms = new Confirms(channel);
            channel.addConfirmListener(confirms);
            channel.addReturnListener(confirms::returned);
            channel.addShutdownListener(confirms::failAll);
        }
        return confirms;
    }

    /**
     * Persistent, with a fresh message id (AMQP has no broker-assigned id; a return is matched to
     * its send by it), a timestamp, and every non-control header as an AMQP header.
     */
    /**
     * The holding queue of one delay (RabbitMQ has no delay without a plugin): durable, with that
     * delay as its message TTL and the destination as its dead-letter target, so each message
     * moves on once it has waited; one TTL per queue keeps them in order, as RabbitMQ expires
     * only from a queue's head. Declared on first use; left in place (an idle one holds nothing).
     */
    private String holdingQueue(java.time.Duration delay) throws Exception {
        long ms = Math.max(1, delay.toMillis());
        String name = "caravan.delay." + (endpoint.exchange().isEmpty() ? "default" : endpoint.exchange()) + "."
                + endpoint.routingKey() + "." + ms + "ms";
        if (holding.add(name)) {
            Map<String, Object> args = new HashMap<>();
            args.put("x-message-ttl", ms);
            args.put("x-dead-letter-exchange", endpoint.exchange());
            args.put("x-dead-letter-routing-key", endpoint.routingKey());
            try (Channel ch = endpoint.connections().channel()) {
                ch.queueDeclare(name, true, false, false, args);
            } catch (Exception e) {
                holding.remove(name);
                throw e;
            }
        }
        return name;
    }

    private static AMQP.BasicProperties properties(Message message) {
        Map<String, Object> headers = new HashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (value != null && !BindingSupport.isControlName(name)) {
                headers.put(name, value instanceof Number || value instanceof Boolean ? value : BindingSupport.text(value));
            }
        });
        return new AMQP.BasicProperties.Builder()
                .deliveryMode(2) // persistent: a durable queue keeps it over a broker restart
                .messageId(UUID.randomUUID().toString())
                .timestamp(new Date())
                .contentType("text/plain")
                .contentEncoding("UTF-8")
                .headers(headers)
                .priority(Messages.priority(message).orElse(null))
                .build();
    }

    /**
     * RabbitMQ drops a message published to a queue that does not exist (a mandatory one comes
     * back), so before the first send to a queue through the default exchange the producer makes
     * sure it exists (RabbitMqProvisioner.ensureQueue: passive first, an operator's queue is left
     * as it is); before the first send to an exchange, that the exchange exists (declared with
     * exchange_type when missing). A queue deleted later is caught by the mandatory flag.
     */
    private void ensureQueue() throws Exception {
        if (!queueEnsured && endpoint.exchange().isEmpty() && !endpoint.routingKey().isEmpty()) {
            RabbitMqProvisioner.ensureQueue(endpoint.connections(), endpoint.routingKey(), endpoint.prioritized);
            queueEnsured = true;
        } else if (!queueEnsured && !endpoint.exchange().isEmpty()) {
            // an exchange that does not exist closes the channel with 404: declare it first
            RabbitMqProvisioner.ensureExchange(endpoint.connections(), endpoint.exchange(), endpoint.exchangeType);
            queueEnsured = true;
        }
    }

    @Override
    protected void doStop() throws Exception {
        synchronized (lock) {
            if (confirms != null && confirms.channel.isOpen()) {
                try {
                    // waits for the confirms still due, then closes; whatever is left is failed
                    confirms.channel.waitForConfirms(10_000);
                } catch (Exception ignored) {
                    // the shutdown below fails what was not confirmed
                }
                try {
                    confirms.channel.close();
                } catch (Exception ignored) {
                    // already closed
                }
            }
            confirms = null;
        }
        super.doStop();
    }

    /** One send awaiting its confirm; {@code returned} is set when the broker sent it back. */
    private static final class Pending {
        final Exchange exchange;
        final AsyncCallback callback;
        final String messageId;
        volatile CaravanException returned;

        Pending(Exchange exchange, AsyncCallback callback, String messageId) {
            this.exchange = exchange;
            this.callback = callback;
            this.messageId = messageId;
        }
    }

    /** One channel's sends awaiting their confirm, by sequence number. */
    private final class Confirms implements ConfirmListener {

        final Channel channel;
        final NavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();

        Confirms(Channel channel) {
            this.channel = channel;
        }

        @Override
        public void handleAck(long seq, boolean multiple) {
            complete(take(seq, multiple), null);
        }

        /**
         * basic.return of a mandatory publish that no queue took. On the connection's thread,
         * before the ack of the same publish: the send is only marked here, its ack fails it.
         */
        void returned(Return r) {
            String id = r.getProperties() == null ? null : r.getProperties().getMessageId();
            for (Pending p : pending.values()) {
                if (id != null && id.equals(p.messageId)) {
                    p.returned = new CaravanException(ErrorCode.QUEUE_NOT_FOUND, "rabbitmq returned the message"
                            + " unrouted: no queue is bound to exchange '" + r.getExchange() + "' with routing key '"
                            + r.getRoutingKey() + "' (" + r.getReplyCode() + " " + r.getReplyText() + ")");
                    return;
                }
            }
        }

        @Override
        public void handleNack(long seq, boolean multiple) {
            complete(take(seq, multiple), new IOException("RabbitMQ did not accept the message (publisher confirm nack)"));
        }

        /**
         * The channel closed (connection lost, channel error, stop): no confirm will come for
         * what is pending, so it fails; after a recovery, sequence numbers start again at 1.
         */
        void failAll(ShutdownSignalException cause) {
            complete(take(Long.MAX_VALUE, true), cause);
        }

        private List<Pending> take(long seq, boolean multiple) {
            List<Pending> taken = new ArrayList<>();
            if (!multiple) {
                Pending p = pending.remove(seq);
                if (p != null) {
                    taken.add(p);
                }
                return taken;
            }
            for (Map.Entry<Long, Pending> e : pending.headMap(seq, true).entrySet()) {
                // remove(key, value): the publishing thread may remove a failed publish at the same time
                if (pending.remove(e.getKey(), e.getValue())) {
                    taken.add(e.getValue());
                }
            }
            return taken;
        }

        /** On Caravan's executor, never on the connection thread that called the listener. */
        private void complete(List<Pending> done, Exception failure) {
            if (done.isEmpty()) {
                return;
            }
            Runnable task = () -> done.forEach(p -> {
                if (failure != null) {
                    p.exchange.setException(failure);
                } else if (p.returned != null) {
                    p.exchange.setException(p.returned);
                } else {
                    p.exchange.getMessage().setHeader(Messages.MESSAGE_ID, p.messageId);
                }
                p.callback.done(false);
            });
            try {
                endpoint.getComponent().confirms().execute(task);
            } catch (RejectedExecutionException stopping) {
                ForkJoinPool.commonPool().execute(task); // the context is stopping: still off the I/O thread
            }
        }
    }
}
