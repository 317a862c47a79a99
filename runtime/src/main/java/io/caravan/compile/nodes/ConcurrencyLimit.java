package io.caravan.compile.nodes;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * {@code caravan:limit}: a trigger's {@code concurrency: {key, limit}}. At most {@code limit}
 * runs per key are past this step at once; another run of a full key waits here without a
 * thread (its source message stays unacknowledged, so the broker keeps it) until one of that
 * key's runs finishes, in arrival order; runs of other keys go on. The number waiting is what
 * {@code caravan_runs_waiting{workflow}} shows.
 *
 * <p>Why not Camel's throttle in concurrent-requests mode with a correlation expression: its
 * waiting exchanges are delayed in turns and rejected when too many queue up, where a tenant's
 * backlog here must simply wait on its broker, and its count per key lives in the route with no
 * number of waiting runs to show. Waiting runs are resumed on a pool of the Camel context, never
 * on the thread that completed the run before them (which may be a broker client's I/O thread).
 */
public final class ConcurrencyLimit extends AsyncProcessorSupport {

    /** Exchange property: the run's key, rendered from the trigger's concurrency.key. */
    public static final String KEY = "CaravanConcurrencyKey";

    /** Runs waiting, by workflow: read by the metrics gauge. */
    private static final Map<String, AtomicInteger> WAITING = new ConcurrentHashMap<>();

    private record Waiter(Exchange exchange, AsyncCallback callback) {
    }

    /** One key's runs past the step and the ones waiting for a place. */
    private static final class Slot {
        int running;
        final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    }

    private final Expression key;
    private final int limit;
    private final String workflowId;
    private final AtomicInteger waitingHere;
    private final Map<String, Slot> slots = new HashMap<>();
    private ExecutorService resume;
    private CamelContext camelContext;

    public ConcurrencyLimit(Expression key, int limit, String workflowId) {
        this.key = key;
        this.limit = limit;
        this.workflowId = workflowId;
        this.waitingHere = WAITING.computeIfAbsent(workflowId, k -> new AtomicInteger());
    }

    /** Runs of {@code workflowId} waiting for a place now. */
    public static int waiting(String workflowId) {
        AtomicInteger n = WAITING.get(workflowId);
        return n == null ? 0 : n.get();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        String k;
        try {
            k = String.valueOf(key.evaluate(exchange, String.class));
        } catch (RuntimeException e) {
            exchange.setException(e); // the key's template failed (a missing value): the run fails as usual
            callback.done(true);
            return true;
        }
        synchronized (slots) {
            Slot slot = slots.computeIfAbsent(k, x -> new Slot());
            if (slot.running < limit) {
                slot.running++;
                exchange.getExchangeExtension().addOnCompletion(new Release(k));
                callback.done(true);
                return true;
            }
            slot.waiting.addLast(new Waiter(exchange, callback));
            waitingHere.incrementAndGet();
        }
        if (resume == null) {
            pool(exchange.getContext());
        }
        return false;
    }

    private void release(String k) {
        Waiter next;
        synchronized (slots) {
            Slot slot = slots.get(k);
            next = slot.waiting.pollFirst();
            if (next == null) {
                slot.running--;
                if (slot.running == 0) {
                    slots.remove(k);
                }
                return;
            }
            // the place passes straight to the next waiting run of the key
            waitingHere.decrementAndGet();
            next.exchange().getExchangeExtension().addOnCompletion(new Release(k));
        }
        if (isStoppingOrStopped() || resume == null) {
            return; // the route is stopping: the waiting run's message stays on the broker and comes again
        }
        Waiter go = next;
        resume.execute(() -> go.callback().done(false));
    }

    private synchronized void pool(CamelContext context) {
        if (resume == null) {
            camelContext = context;
            resume = context.getExecutorServiceManager().newCachedThreadPool(this, "caravan-limit-" + workflowId);
        }
    }

    @Override
    protected synchronized void doStop() {
        synchronized (slots) {
            slots.values().forEach(s -> waitingHere.addAndGet(-s.waiting.size()));
            slots.clear();
        }
        if (resume != null) {
            camelContext.getExecutorServiceManager().shutdown(resume);
            resume = null;
        }
    }

    /** Frees the run's place when it finishes, whichever way; ordered last, after the run's own completions. */
    private final class Release extends SynchronizationAdapter {
        private final String key;

        Release(String key) {
            this.key = key;
        }

        @Override
        public void onDone(Exchange exchange) {
            release(key);
        }

        @Override
        public int getOrder() {
            return org.apache.camel.Ordered.LOWEST;
        }
    }

    @Override
    public String toString() {
        return "concurrency limit of " + workflowId + " (" + limit + " per key)";
    }
}
