package io.caravan.binding.redis;

import io.caravan.binding.Lanes;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a stream in a consumer group (https://redis.io/docs/latest/develop/data-types/streams/#consumer-groups)
 * with many runs in flight. One thread reads: XREADGROUP {@code >} with a blocking timeout, on a
 * connection of its own, never more entries than there are free run slots. Each entry is its own
 * exchange, run on one of {@code threads} workers (so a blocking step never holds the reading), in
 * the endpoint's {@code ordering}: {@code key} runs an entry once the previous entry with the same
 * value in its key field finished (entries without that field run side by side), {@code partition}
 * one entry of the stream at a time, {@code none} all at once ({@link Lanes}). An entry whose run
 * finished (or whose failure was handled, e.g. dead-lettered) is acknowledged with XACK. A failed
 * run's entry is not: it stays pending in the group, and like the entries of a consumer that died,
 * it is claimed again (XAUTOCLAIM) once it has been idle for {@code reclaimAfterMillis}, by
 * whichever consumer of the group looks first; but where entries wait behind it in a lane, it is
 * claimed again at once by this consumer (XCLAIM, so Redis counts the delivery) and runs again in
 * place after a pause, so a later entry of its key never overtakes it. Redis counts each delivery;
 * that count travels with the message, so a trigger can dead-letter an entry that keeps coming back.
 *
 * <p>Order holds within one consumer: Redis hands a group's entries to whichever consumer reads,
 * so instances sharing a group do not keep a key's order between them, and an entry claimed back
 * from a dead consumer runs after newer entries of its key.
 *
 * <p>Suspendable: Camel's graceful shutdown stops the reading, waits for the runs in flight, and
 * what did not finish stays pending, to be claimed again.
 */
final class RedisConsumer extends DefaultConsumer implements Suspendable {

    private static final Logger LOG = LoggerFactory.getLogger(RedisConsumer.class);
    private static final long RETRY_PAUSE_MS = 1000;

    private final RedisEndpoint endpoint;
    private final String name;
    private final String group;
    /** Entry ids being run by this consumer: XAUTOCLAIM may hand back one of ours whose run is slow. */
    private final Set<String> runningIds = ConcurrentHashMap.newKeySet();
    private Semaphore slots;
    private volatile Loop loop;
    private final Lanes<Taken> lanes = new Lanes<>();
    private ExecutorService workers;
    private ScheduledExecutorService retries;
    private volatile boolean stopping;

    /** An entry taken from the stream, run (again, after a failure) until it is acknowledged or left pending. */
    private record Taken(StreamMessage<String, byte[]> entry, long deliveryCount, Object lane) {
        String id() {
            return entry.getId();
        }
    }

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
        stopping = false;
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        workers = executors.newFixedThreadPool(this, "CaravanRedisRuns-" + endpoint.stream(), endpoint.threads);
        retries = executors.newSingleThreadScheduledExecutor(this, "CaravanRedisRetries-" + endpoint.stream());
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

    /**
     * Stops reading, waits (bounded by the shutdown timeout) for the runs in flight and the entries
     * waiting in lanes; what is left stays pending. A failed run is not tried again meanwhile.
     */
    @Override
    protected void doStop() throws Exception {
        stopReading();
        stopping = true;
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
        ExecutorServiceManager executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        if (retries != null) {
            executors.shutdownNow(retries);
        }
        if (workers != null) {
            executors.shutdownGraceful(workers);
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

    /** Takes the entry: starts its run, or queues it behind the run of its lane. */
    private void dispatch(StreamMessage<String, byte[]> entry, long deliveryCount) {
        slots.acquireUninterruptibly();
        runningIds.add(entry.getId());
        Object lane = switch (endpoint.ordering) {
            case KEY -> {
                byte[] key = entry.getBody() == null ? null : entry.getBody().get(endpoint.keyField);
                yield key == null ? null : java.nio.ByteBuffer.wrap(key);
            }
            case PARTITION -> endpoint.stream();
            case NONE -> null;
        };
        Taken taken = new Taken(entry, deliveryCount, lane);
        if (lanes.enter(lane, taken)) {
            if (endpoint.inline) {
                run(taken); // on this reading thread: the workflow has no step that blocks
            } else {
                start(taken);
            }
        }
    }

    /** Runs the entry on a worker: never on a Redis client's I/O thread, where a lane's next entry is released. */
    private void start(Taken taken) {
        try {
            workers.execute(() -> run(taken));
        } catch (RejectedExecutionException e) {
            giveUp(taken); // stopping: it stays pending
        }
    }

    /** Runs the entry; its completion acknowledges it (or leaves it pending) and starts the next of its lane. */
    private void run(Taken taken) {
        String id = taken.id();
        Exchange exchange = null;
        try {
            exchange = createExchange(false);
            var message = RedisEntries.toReceived(endpoint.stream(), RedisEntries.decoded(taken.entry()), taken.deliveryCount());
            // the body field's bytes as Redis holds them: a dead letter carries them unchanged
            byte[] raw = taken.entry().getBody() == null ? null : taken.entry().getBody().get(RedisEntries.BODY);
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
                        finished(taken);
                    });
                } else {
                    // not logged here: the workflow's failure processor already did
                    failed(taken);
                }
            });
        } catch (Exception e) {
            getExceptionHandler().handleException("cannot process entry " + id + " of stream " + endpoint.stream(), exchange, e);
            failed(taken);
        }
    }

    /**
     * A run that failed unhandled: its entry stays pending. Alone, it is claimed again later like
     * any idle entry; with entries of its lane waiting behind it, it runs again here after a pause.
     */
    private void failed(Taken taken) {
        if (taken.lane() == null || stopping) {
            giveUp(taken);
            return;
        }
        try {
            retries.schedule(() -> claimAgain(taken), RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            giveUp(taken);
        }
    }

    /**
     * Claims the failed entry back for this consumer (XCLAIM: Redis counts the delivery and its idle
     * time starts again, so no other consumer takes it meanwhile) and runs it again. Owned by
     * another consumer meanwhile (it claimed the entry as idle), or gone: the lane moves on.
     */
    private void claimAgain(Taken taken) {
        if (stopping) {
            giveUp(taken);
            return;
        }
        try {
            long timeout = RedisClients.DEFAULT_TIMEOUT.toMillis();
            List<PendingMessage> pending = endpoint.clients().async().xpending(endpoint.stream(), group,
                    Range.create(taken.id(), taken.id()), Limit.from(1)).get(timeout, TimeUnit.MILLISECONDS);
            // our own idle-entry claims may have taken it meanwhile: then it is still ours
            boolean ours = pending.size() == 1 && name.equals(pending.get(0).getConsumer());
            var claimed = !ours ? List.of() : endpoint.clients().async().xclaim(endpoint.stream(),
                    Consumer.from(group, name), 0, taken.id()).get(timeout, TimeUnit.MILLISECONDS);
            if (claimed.isEmpty()) {
                LOG.info("entry {} of stream {} is no longer pending here (claimed by another consumer, or deleted);"
                        + " the entries of its key that waited for it run now", taken.id(), endpoint.stream());
                finished(taken);
                return;
            }
            Taken again = new Taken(taken.entry(), taken.deliveryCount() + 1, taken.lane());
            if (lanes.replaceHead(taken.lane(), taken, again)) {
                LOG.warn("run of entry {} of stream {} failed; it runs again now (delivery {}), the entries of its key"
                        + " wait for it", taken.id(), endpoint.stream(), again.deliveryCount());
                start(again);
            }
        } catch (Exception e) {
            LOG.warn("cannot claim entry {} of stream {} again ({}); trying again in {} ms", taken.id(), endpoint.stream(),
                    e.toString(), RETRY_PAUSE_MS);
            failed(taken);
        }
    }

    /** Leaves the entry pending (claimed again after reclaimAfterMillis) and drops what waited behind it. */
    private void giveUp(Taken taken) {
        for (Taken behind : lanes.dropBehind(taken.lane(), taken)) {
            release(behind);
        }
        release(taken);
    }

    /** Done with the entry (acknowledged, or gone): frees its slot and starts the next of its lane. */
    private void finished(Taken taken) {
        Taken following = lanes.leave(taken.lane(), taken);
        release(taken);
        if (following != null) {
            start(following);
        }
    }

    private void release(Taken taken) {
        runningIds.remove(taken.id());
        slots.release();
    }
}
