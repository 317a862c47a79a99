package io.caravan.compile.idempotency;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Ordered;
import org.apache.camel.support.AsyncProcessorSupport;
import org.apache.camel.support.SynchronizationAdapter;

/**
 * Stands before the idempotent block and lets one run per key into it at a time, within this
 * instance: a copy whose key is already in flight waits, without holding a thread, until that
 * run has finished (its key recorded or, if it failed, removed), and then goes on to the block,
 * which skips it as a duplicate or, after a failure, runs it. Across instances the stores' leases
 * do the same ({@link LeasedRepository}).
 *
 * <p>The first run releases its key in a synchronization ordered after every other, so the
 * idempotent block's own completion (which records or removes the key) has happened by then.
 * Waiting copies are resumed on a pool of the Camel context, never on the thread completing the
 * first run (which may be a broker client's I/O thread).
 */
final class InFlightGuard extends AsyncProcessorSupport {

    /** A copy waiting for the run that holds its key. */
    private record Waiter(Exchange exchange, AsyncCallback callback) {
    }

    private final Expression key;
    private final String name;
    // the runs in flight by key, each with the copies waiting for it (guarded by the list itself)
    private final ConcurrentHashMap<String, List<Waiter>> inFlight = new ConcurrentHashMap<>();
    private CamelContext camelContext;
    private ExecutorService resume;

    InFlightGuard(Expression key, String name) {
        this.key = key;
        this.name = name;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        String k;
        try {
            k = key.evaluate(exchange, String.class);
        } catch (RuntimeException e) {
            // the idempotent block evaluates the key again and fails the run with this error in its usual way
            callback.done(true);
            return true;
        }
        if (k == null || enter(k, new Waiter(exchange, callback))) {
            callback.done(true);
            return true;
        }
        return false;
    }

    /** True when this copy now holds {@code k}; false when it was queued behind the run that does. */
    private boolean enter(String k, Waiter copy) {
        List<Waiter> fresh = new ArrayList<>();
        while (true) {
            List<Waiter> waiting = inFlight.putIfAbsent(k, fresh);
            if (waiting == null) {
                copy.exchange().getExchangeExtension().addOnCompletion(new Release(k));
                return true;
            }
            synchronized (waiting) {
                // a list already released is no longer in the map: try again
                if (inFlight.get(k) == waiting) {
                    waiting.add(copy);
                    return false;
                }
            }
        }
    }

    private void release(String k) {
        List<Waiter> waiting = inFlight.get(k);
        List<Waiter> copies;
        synchronized (waiting) {
            inFlight.remove(k, waiting);
            copies = List.copyOf(waiting);
        }
        if (isStoppingOrStopped()) {
            // the route is gone: the waiting copies' messages stay unacknowledged and come again
            return;
        }
        for (Waiter copy : copies) {
            resumer(copy.exchange().getContext()).execute(() -> {
                if (enter(k, copy)) {
                    copy.callback().done(false);
                }
            });
        }
    }

    /** Copies waiting now, for tests and the log. */
    int waiting() {
        return inFlight.values().stream().mapToInt(l -> {
            synchronized (l) {
                return l.size();
            }
        }).sum();
    }

    /** The pool resuming waiting copies, made the first time a copy waited (most workflows never need it). */
    private synchronized ExecutorService resumer(CamelContext context) {
        if (resume == null) {
            camelContext = context;
            resume = context.getExecutorServiceManager().newCachedThreadPool(this, "caravan-in-flight-" + name);
        }
        return resume;
    }

    @Override
    protected synchronized void doStop() {
        if (resume != null) {
            // copies still waiting are never completed: their messages stay on the broker and come again
            camelContext.getExecutorServiceManager().shutdown(resume);
            resume = null;
        }
    }

    @Override
    public String toString() {
        return "in-flight guard of " + name;
    }

    /** Releases the key after every other completion work of the run (Camel runs the highest order last). */
    private final class Release extends SynchronizationAdapter implements Ordered {

        private final String k;

        Release(String k) {
            this.k = k;
        }

        @Override
        public void onDone(Exchange exchange) {
            release(k);
        }

        @Override
        public int getOrder() {
            return Ordered.LOWEST;
        }
    }
}
