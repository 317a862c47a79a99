package io.caravan.compile.idempotency;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An idempotent repository shared by instances, in which a key is first claimed and then
 * recorded (Camel's eager mode: {@code add} on arrival, {@code confirm} when the run succeeded,
 * {@code remove} when it failed):
 * <ul>
 * <li>{@link #add} claims the key with a lease naming this repository. A key already recorded
 * is a duplicate. A key claimed by another instance is waited for (polling) until it is recorded
 * (a duplicate), released after a failure (claimed here) or its lease runs out.</li>
 * <li>While a run goes on its lease is renewed every third of the lease, so a long run keeps
 * its claim; when the instance dies the renewals stop and the claim expires, and the broker's
 * redelivery is then claimed elsewhere: a crash costs at most a duplicate, never a message.</li>
 * </ul>
 * Within one instance copies never reach the store together ({@link InFlightGuard}), so the
 * polling wait only happens between instances, a rare event (a rebalance, a visibility timeout
 * running out while a slow run goes on). It holds the consumer's thread while it waits.
 */
abstract class LeasedRepository extends ServiceSupport implements IdempotentRepository {

    private static final Logger LOG = LoggerFactory.getLogger(LeasedRepository.class);

    /** What claiming a key found. */
    enum Claim {
        /** the key is this repository's now */
        CLAIMED,
        /** a run finished with this key: a duplicate */
        DONE,
        /** another instance's run holds the key */
        BUSY
    }

    protected final String name;
    protected final Duration lease;
    /** Identifies this repository's claims: unique per process and trigger, never reused. */
    protected final String owner = UUID.randomUUID().toString();
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService renewer;

    /**
     * @param name  the namespace of the keys: one per workflow, shared by its instances
     * @param lease how long a claim lasts unless renewed
     */
    protected LeasedRepository(String name, Duration lease) {
        this.name = name;
        this.lease = lease;
    }

    /** Claims {@code key} for this repository, or says who has it. */
    protected abstract Claim claim(String key);

    /** Records {@code key} as processed and drops this repository's claim on it. */
    protected abstract void record(String key);

    /** Drops this repository's claim on {@code key}, if it still has it. */
    protected abstract void release(String key);

    /** Extends this repository's claims on {@code keys} by a lease from now. */
    protected abstract void renew(List<String> keys);

    /** Whether {@code key} is recorded as processed. */
    protected abstract boolean recorded(String key);

    /** Closes the connections (Camel's {@code close} stops the service). */
    protected abstract void disconnect();

    @Override
    public boolean add(String key) {
        long poll = Math.max(10, Math.min(200, lease.toMillis() / 4));
        boolean logged = false;
        while (true) {
            switch (claim(key)) {
                case CLAIMED -> {
                    held.add(key);
                    return true;
                }
                case DONE -> {
                    return false;
                }
                case BUSY -> {
                    if (!logged) {
                        // the key may be personal data: the namespace is enough to follow it
                        LOG.debug("{}: a key is claimed by another instance; waiting until its run ends or its lease"
                                + " ({}) runs out", name, lease);
                        logged = true;
                    }
                    try {
                        Thread.sleep(poll);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        // the run fails; the message is not acknowledged and comes again
                        throw new IllegalStateException("interrupted while waiting for another instance's run of the key");
                    }
                }
            }
        }
    }

    @Override
    public boolean contains(String key) {
        return recorded(key);
    }

    @Override
    public boolean confirm(String key) {
        held.remove(key);
        record(key);
        return true;
    }

    @Override
    public boolean remove(String key) {
        held.remove(key);
        release(key);
        return true;
    }

    @Override
    public void clear() {
        throw new UnsupportedOperationException("the keys of " + name + " are shared by every instance; delete them"
                + " in the store itself");
    }

    /** Keys claimed and not yet recorded or released, for tests. */
    Set<String> held() {
        return Set.copyOf(held);
    }

    @Override
    protected void doStart() {
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "caravan-lease-" + name);
            t.setDaemon(true);
            return t;
        });
        long every = Math.max(1, lease.toMillis() / 3);
        renewer.scheduleWithFixedDelay(this::renewHeld, every, every, TimeUnit.MILLISECONDS);
    }

    private void renewHeld() {
        List<String> keys = List.copyOf(held);
        if (keys.isEmpty()) {
            return;
        }
        try {
            renew(keys);
        } catch (RuntimeException e) {
            // the store is away: the claims may lapse, and another instance may then run a copy (a duplicate, not a loss)
            LOG.warn("{}: could not renew {} claim(s): {}", name, keys.size(), e.getMessage());
        }
    }

    @Override
    protected void doStop() {
        if (renewer != null) {
            renewer.shutdownNow();
            renewer = null;
        }
        disconnect();
    }
}
