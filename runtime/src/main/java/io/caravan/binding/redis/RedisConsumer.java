package io.caravan.binding.redis;

import io.caravan.binding.Messages;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XPendingArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a stream in a consumer group (https://redis.io/docs/latest/develop/data-types/streams/#consumer-groups)
 * with many runs in flight. One thread reads: XREADGROUP {@code >} with a blocking timeout, on a
 * connection of its own, never more entries than there are free run slots. Each entry is its own
 * exchange, dispatched without waiting; an entry whose run finished (or whose failure was handled,
 * e.g. dead-lettered) is acknowledged with XACK. A failed run's entry is not: it stays pending in
 * the group, and like the entries of a consumer that died, it is claimed again (XAUTOCLAIM) once
 * it has been idle for {@code reclaimAfterMillis}, by whichever consumer of the group looks first.
 * Redis counts each delivery; that count travels with the message, so a trigger can dead-letter an
 * entry that keeps coming back.
 *
 * <p>Suspendable: Camel's graceful shutdown stops the reading, waits for the runs in flight, and
 * what did not finish stays pending, to be claimed again.
 */
final class RedisConsumer extends DefaultConsumer implements Suspendable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisConsumer.class);

    private final RedisEndpoint endpoint;
    private final String name;
    private final String group;
    /** Entry ids being run by this consumer: XAUTOCLAIM may hand back one of ours whose run is slow. */
    private final Set<String> runningIds = ConcurrentHashMap.newKeySet();
    private Semaphore slots;
    private volatile Loop loop;

    RedisConsumer(RedisEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
        this.name = endpoint.newConsumerName();
        this.group = endpoint.group();
    }

    /** Creates the group (and stream) when missing; fails when Redis does not answer, so the workflow waits. */
    @Override
    protected void doStart() throws Exception {
        super.doStart();
        endpoint.clients().ensureGroup(endpoint.stream(), group);
        slots = new Semaphore(endpoint.maxInFlight);
        startReading();
    }

    @Override
    protected void doSuspend() {
        stopReading();
    }

    @Override
    protected void doResume() {
        startReading();
    }

    /** Stops reading, waits (bounded by the shutdown timeout) for the runs in flight; what is left stays pending. */
    @Override
    protected void doStop() throws Exception {
        stopReading();
        if (slots != null) {
            var shutdown = getEndpoint().getCamelContext().getShutdownStrategy();
            long timeout = shutdown.getTimeUnit().toMillis(shutdown.getTimeout());
            if (!slots.tryAcquire(endpoint.maxInFlight, timeout, TimeUnit.MILLISECONDS)) {
                LOG.warn("{} run(s) from stream {} still in flight at stop: not acknowledged, they stay pending and are"
                        + " claimed again after {} ms", runningIds.size(), endpoint.stream(), endpoint.reclaimAfterMillis);
            } else {
                slots.release(endpoint.maxInFlight);
            }
        }
        super.doStop();
    }

    private synchronized void startReading() {
        if (loop == null) {
            loop = new Loop();
            Thread thread = new Thread(loop, "caravan-redis-" + endpoint.stream());
            thread.setDaemon(true);
            loop.thread = thread;
            thread.start();
        }
    }

    private synchronized void stopReading() {
        Loop l = loop;
        loop = null;
        if (l != null) {
            l.running = false;
            try {
                // a read blocks at most blockMillis
                l.thread.join(endpoint.blockMillis + RedisClients.DEFAULT_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The reading thread: claims what is idle too long now and then, and reads new entries. */
    private final class Loop implements Runnable {

        volatile boolean running = true;
        Thread thread;
        private long nextClaim;
        private boolean failing;

        @Override
        public void run() {
            StatefulRedisConnection<String, byte[]> blocking = null;
            long claimEvery = Math.max(200, Math.min(5000, endpoint.reclaimAfterMillis / 2));
            while (running) {
                try {
                    if (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        continue; // every slot is taken: wait for a run to finish
                    }
                    slots.release();
                    if (blocking == null || !blocking.isOpen()) {
                        blocking = endpoint.clients().connectBlocking(Duration.ofMillis(endpoint.blockMillis));
                    }
                    int free = Math.min(slots.availablePermits(), endpoint.readCount);
                    if (System.currentTimeMillis() >= nextClaim) {
                        claim(blocking, free);
                        nextClaim = System.currentTimeMillis() + claimEvery;
                        free = Math.min(slots.availablePermits(), endpoint.readCount);
                        if (free == 0) {
                            continue;
                        }
                    }
                    List<StreamMessage<String, byte[]>> read = blocking.sync().xreadgroup(Consumer.from(group, name),
                            XReadArgs.Builder.count(free).block(endpoint.blockMillis),
                            XReadArgs.StreamOffset.lastConsumed(endpoint.stream()));
                    for (StreamMessage<String, byte[]> entry : read) {
                        dispatch(entry, 1);
                    }
                    recovered();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                } catch (Exception e) {
                    if (running) {
                        failed(e);
                    }
                }
            }
            if (blocking != null) {
                blocking.close();
            }
        }

        /**
         * Claims entries of the group idle for reclaimAfterMillis (their consumer died, or their
         * run failed) and runs them; Redis counted this delivery, and XPENDING says how many there were.
         */
        private void claim(StatefulRedisConnection<String, byte[]> connection, int count) throws Exception {
            if (count <= 0) {
                return;
            }
            // on the consumer's own connection (idle between reads), with the values as bytes
            ClaimedMessages<String, byte[]> claimed = connection.sync().xautoclaim(endpoint.stream(),
                    XAutoClaimArgs.Builder.xautoclaim(Consumer.from(group, name), Duration.ofMillis(endpoint.reclaimAfterMillis),
                            "0-0").count(count));
            List<StreamMessage<String, byte[]>> entries = claimed.getMessages().stream()
                    .filter(m -> !runningIds.contains(m.getId())).toList();
            if (entries.isEmpty()) {
                return;
            }
            Map<String, Long> deliveries = new HashMap<>();
            List<PendingMessage> pending = endpoint.clients().async().xpending(endpoint.stream(), XPendingArgs.Builder.xpending(
                    Consumer.from(group, name), Range.create(entries.get(0).getId(), entries.get(entries.size() - 1).getId()),
                    Limit.from(count + runningIds.size()))).get(RedisClients.DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            pending.forEach(p -> deliveries.put(p.getId(), p.getRedeliveryCount()));
            LOG.info("claimed {} entr{} of stream {} idle for {} ms or more (a consumer died or a run failed)",
                    entries.size(), entries.size() == 1 ? "y" : "ies", endpoint.stream(), endpoint.reclaimAfterMillis);
            for (StreamMessage<String, byte[]> entry : entries) {
                dispatch(entry, deliveries.getOrDefault(entry.getId(), 2L));
            }
        }

        private void failed(Exception e) {
            if (isNoGroup(e)) {
                LOG.warn("stream {} or its consumer group {} is gone (deleted?); creating them again", endpoint.stream(), group);
                try {
                    endpoint.clients().ensureGroup(endpoint.stream(), group);
                    return;
                } catch (Exception again) {
                    e = again;
                }
            }
            if (!failing) {
                failing = true;
                LOG.warn("cannot read stream {} from Redis at {}: {}; retrying every second", endpoint.stream(),
                        endpoint.clients().address(), e.toString());
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }

        private void recovered() {
            if (failing) {
                failing = false;
                LOG.info("reading stream {} from Redis at {} again", endpoint.stream(), endpoint.clients().address());
            }
        }
    }

    private static boolean isNoGroup(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof RedisCommandExecutionException && String.valueOf(t.getMessage()).startsWith("NOGROUP")) {
                return true;
            }
        }
        return false;
    }

    /** Starts the entry's run; its completion acknowledges it (or leaves it pending) and frees its slot. */
    private void dispatch(StreamMessage<String, byte[]> entry, long deliveryCount) {
        slots.acquireUninterruptibly();
        String id = entry.getId();
        runningIds.add(id);
        Exchange exchange = null;
        try {
            exchange = createExchange(false);
            var message = RedisEntries.toReceived(endpoint.stream(), RedisEntries.decoded(entry), deliveryCount);
            // the body field's bytes as Redis holds them: a dead letter carries them unchanged
            byte[] raw = entry.getBody() == null ? null : entry.getBody().get(RedisEntries.BODY);
            exchange.getMessage().setBody(raw != null ? raw : message.body());
            exchange.setProperty(Messages.RECEIVED, message);
            if (endpoint.attributesAsHeaders) {
                message.attributes().forEach(exchange.getMessage()::setHeader);
            }
            Exchange run = exchange;
            getAsyncProcessor().process(exchange, doneSync -> {
                boolean ok = !run.isFailed() && !run.isRollbackOnly();
                releaseExchange(run, false);
                if (ok) {
                    endpoint.clients().async().xack(endpoint.stream(), group, id).whenComplete((n, failure) -> {
                        if (failure != null) {
                            LOG.debug("cannot acknowledge entry {} of stream {}: it stays pending and runs again: {}", id,
                                    endpoint.stream(), failure.toString());
                        }
                        finished(id);
                    });
                } else {
                    // not logged here: the workflow's failure processor already did
                    finished(id);
                }
            });
        } catch (Exception e) {
            getExceptionHandler().handleException("cannot process entry " + id + " of stream " + endpoint.stream(), exchange, e);
            finished(id);
        }
    }

    private void finished(String id) {
        runningIds.remove(id);
        slots.release();
    }
}
