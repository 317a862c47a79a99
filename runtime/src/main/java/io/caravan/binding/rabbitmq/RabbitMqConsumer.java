package io.caravan.binding.rabbitmq;

import io.caravan.binding.Messages;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.Queue;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes one queue with manual acknowledgements and many runs in flight: each delivery is
 * handed to the route asynchronously, and acknowledged only when its run completed (finished,
 * or handled by a dead-letter). The broker bounds the runs in flight: basic.qos {@code prefetch}
 * is the most unacknowledged deliveries it sends (https://www.rabbitmq.com/docs/consumer-prefetch),
 * so no semaphore is needed here. Runs go to {@code threads} worker threads, side by side.
 *
 * <p>Acknowledgements (https://www.rabbitmq.com/docs/confirms#consumer-acknowledgements): one
 * {@code multiple} ack covers every completed tag below the oldest run still going. Tags
 * completed above a run that takes long (retries) are acked one by one once they fill half the
 * prefetch, so a slow run does not stop the queue. An unhandled failure is nacked with requeue,
 * or rejected without requeue when the queue dead-letters natively. One thread at a time sends
 * them: whoever finds work pending drains it, and what completes meanwhile goes in its next pass.
 *
 * <p>Suspendable, so that Camel's graceful shutdown first stops the taking (basic.cancel), then
 * waits for the runs in flight within caravan.shutdown.timeout, then stops this consumer, which
 * acknowledges what completed and closes the channel: what is not acknowledged is redelivered.
 */
final class RabbitMqConsumer extends DefaultConsumer implements Suspendable {

    private static final Logger LOG = LoggerFactory.getLogger(RabbitMqConsumer.class);

    private final RabbitMqEndpoint endpoint;
    private volatile Subscription subscription;
    private ExecutorService workers;

    RabbitMqConsumer(RabbitMqEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (workers == null) {
            workers = getEndpoint().getCamelContext().getExecutorServiceManager()
                    .newFixedThreadPool(this, "CaravanRabbitMqRuns-" + endpoint.queue(), endpoint.threads);
        }
        Channel ch = endpoint.connections().consuming().createChannel();
        try {
            String queue = endpoint.queue();
            if (endpoint.declare()) {
                // durable: a restart of the broker keeps the queue and its persistent messages
                // passive first: a queue declared with arguments (x-max-priority) is used as it is
                RabbitMqProvisioner.ensureQueue(endpoint.connections(), queue);
                if (!endpoint.exchange().isEmpty()) {
                    RabbitMqProvisioner.ensureExchange(endpoint.connections(), endpoint.exchange(), endpoint.exchangeType);
                    ch.queueBind(queue, endpoint.exchange(), endpoint.routingKey(), endpoint.bindHeaders);
                }
            }
            ch.basicQos(endpoint.prefetch());
            subscription = new Subscription(ch);
            subscription.consume();
        } catch (Exception e) {
            subscription = null;
            closeQuietly(ch);
            throw e;
        }
    }

    @Override
    protected void doSuspend() {
        Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }

    @Override
    protected void doResume() throws Exception {
        Subscription s = subscription;
        if (s != null) {
            s.consume();
        }
    }

    /**
     * Stops taking, waits for the runs in flight (Camel's shutdown already did when it suspended
     * this consumer first; bounded by the same timeout), acks what completed, then closes.
     */
    @Override
    protected void doStop() throws Exception {
        Subscription s = subscription;
        subscription = null;
        if (s != null) {
            s.cancel();
            var shutdown = getEndpoint().getCamelContext().getShutdownStrategy();
            long deadline = System.nanoTime() + shutdown.getTimeUnit().toNanos(shutdown.getTimeout());
            while (!s.running.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            if (!s.running.isEmpty()) {
                LOG.warn("{} run(s) from {} still in flight at stop: not acknowledged, RabbitMQ redelivers them",
                        s.running.size(), endpoint.queue());
            }
            s.stopping = true;
            s.acknowledge(); // a last pass for what completed
            closeQuietly(s.getChannel());
        }
        if (workers != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(workers);
            workers = null;
        }
        super.doStop();
    }

    private static void closeQuietly(Channel ch) {
        try {
            if (ch.isOpen()) {
                ch.close();
            }
        } catch (Exception ignored) {
            // already closed
        }
    }

    /** ok: ack; otherwise nack, with requeue or not. */
    private record Outcome(long tag, boolean ok, boolean requeue) {
    }

    /**
     * One channel's consumer and its acknowledgement state: delivery tags belong to a channel,
     * so a run that completes after its channel was replaced never acks on the new one. (After
     * automatic recovery the channel object stays and amqp-client keeps the tags growing.)
     */
    private final class Subscription extends com.rabbitmq.client.DefaultConsumer {

        /** Delivered and not completed yet. */
        final ConcurrentSkipListSet<Long> running = new ConcurrentSkipListSet<>();
        /** Outcomes for the acknowledging thread. */
        private final Queue<Outcome> completed = new ConcurrentLinkedQueue<>();
        private final AtomicInteger drainRequests = new AtomicInteger();
        /** Completed successfully, not acked yet; only the draining thread touches it. */
        private final SortedSet<Long> done = new TreeSet<>();
        private volatile String consumerTag;
        /** False once suspending or stopping began: a delivery still arriving goes back to the queue. */
        private volatile boolean taking;
        volatile boolean stopping;

        Subscription(Channel channel) {
            super(channel);
        }

        void consume() throws IOException {
            taking = true;
            consumerTag = getChannel().basicConsume(endpoint.queue(), false, this);
        }

        void cancel() {
            taking = false;
            String tag = consumerTag;
            consumerTag = null;
            if (tag != null) {
                try {
                    getChannel().basicCancel(tag);
                } catch (Exception e) {
                    LOG.debug("cancel of the consumer of {}: {}", endpoint.queue(), e.getMessage());
                }
            }
        }

        /**
         * On amqp-client's consumer dispatch thread, which delivers a channel's messages one at a
         * time: the run goes to a worker, so a blocking step (http, delay) does not hold the deliveries behind it.
         */
        @Override
        public void handleDelivery(String tagOfConsumer, Envelope envelope, AMQP.BasicProperties properties,
                                   byte[] body) {
            long tag = envelope.getDeliveryTag();
            running.add(tag);
            if (!taking) {
                complete(new Outcome(tag, false, true)); // arrived after suspend or stop began: back to the queue
                return;
            }
            if (endpoint.inline) {
                run(tag, envelope, properties, body);
                return;
            }
            try {
                workers.execute(() -> run(tag, envelope, properties, body));
            } catch (RejectedExecutionException e) {
                complete(new Outcome(tag, false, true)); // stopping: back to the queue
            }
        }

        private void run(long tag, Envelope envelope, AMQP.BasicProperties properties, byte[] body) {
            Exchange exchange = null;
            try {
                exchange = createExchange(false);
                exchange.getIn().setBody(body);
                exchange.setProperty(Messages.RECEIVED, RabbitMqProvisioner.toReceived(envelope, properties, body));
                Exchange run = exchange;
                getAsyncProcessor().process(exchange, doneSync -> {
                    // not logged here: the workflow's failure processor already did
                    boolean ok = !run.isFailed() && !run.isRollbackOnly();
                    releaseExchange(run, false);
                    complete(new Outcome(tag, ok, endpoint.requeue()));
                });
            } catch (Exception e) {
                getExceptionHandler().handleException("cannot process a RabbitMQ delivery", exchange, e);
                complete(new Outcome(tag, false, true));
            }
        }

        @Override
        public void handleShutdownSignal(String tagOfConsumer, ShutdownSignalException sig) {
            if (!stopping && !sig.isInitiatedByApplication()) {
                LOG.warn("RabbitMQ consumer of {} lost its channel ({}); automatic recovery resumes it if the"
                        + " connection recovers, unacknowledged messages are redelivered", endpoint.queue(), sig.getMessage());
            }
        }

        @Override
        public void handleCancel(String tagOfConsumer) {
            LOG.warn("RabbitMQ cancelled the consumer of {} (queue deleted?)", endpoint.queue());
        }

        /** Records the outcome of a delivery (the order matters: see {@link #drain}) and acks what can be. */
        private void complete(Outcome outcome) {
            completed.add(outcome);
            running.remove(outcome.tag());
            acknowledge();
        }

        /** Drains on this thread unless another one is at it; that one then makes another pass. */
        void acknowledge() {
            if (drainRequests.getAndIncrement() == 0) {
                int missed = 1;
                do {
                    drain();
                    missed = drainRequests.addAndGet(-missed);
                } while (missed != 0);
            }
        }

        /**
         * A completion is queued before its tag leaves {@code running}, and the floor is read
         * before the queue: every tag below the floor is then either acked already or in what is
         * drained. Delivery tags grow, and a tag is in {@code running} before its run starts.
         */
        private void drain() {
            Channel ch = getChannel();
            Long oldest = running.isEmpty() ? null : running.ceiling(Long.MIN_VALUE);
            long floor = oldest == null ? Long.MAX_VALUE : oldest;
            try {
                for (Outcome o; (o = completed.poll()) != null; ) {
                    if (o.ok()) {
                        done.add(o.tag());
                    } else {
                        ch.basicNack(o.tag(), false, o.requeue());
                    }
                }
                SortedSet<Long> below = done.headSet(floor);
                if (!below.isEmpty()) {
                    ch.basicAck(below.last(), true);
                    below.clear();
                }
                if (stopping || done.size() >= Math.max(1, endpoint.prefetch() / 2)) {
                    for (long t : done) {
                        ch.basicAck(t, false);
                    }
                    done.clear();
                }
            } catch (IOException | RuntimeException e) {
                // the channel is down: RabbitMQ redelivers what it did not get an ack for
                LOG.debug("cannot acknowledge on the channel of {}: {}", endpoint.queue(), e.getMessage());
                done.clear();
            }
        }
    }

}
