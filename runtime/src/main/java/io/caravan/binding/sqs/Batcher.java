package io.caravan.binding.sqs;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * Entries that any thread adds and up to {@code maxSenders} threads send, up to 10 per request
 * (the most SendMessageBatch and DeleteMessageBatch take:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html)
 * and within {@code maxBytes}. A sender takes whatever is queued, sends it and repeats until the
 * queue is empty: there is no timer, so a lone entry goes at once and what arrives during a
 * request goes in the next one. Senders run on the component's shared pool only while there is
 * something to send, so an idle workflow holds no thread.
 */
final class Batcher<T> {

    static final int MAX_ENTRIES = 10;

    private final Queue<T> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger senders = new AtomicInteger();
    private final ToLongFunction<T> size;
    private final long maxBytes;
    private final Consumer<List<T>> send;
    private final int maxSenders;
    private final Executor pool;
    private volatile boolean stopped;

    Batcher(ToLongFunction<T> size, long maxBytes, Consumer<List<T>> send, int maxSenders, Executor pool) {
        this.size = size;
        this.maxBytes = maxBytes;
        this.send = send;
        this.maxSenders = maxSenders;
        this.pool = pool;
    }

    void add(T entry) {
        queue.add(entry);
        startSender();
    }

    /** Another sender unless {@code maxSenders} are at work (they will find the entry). */
    private void startSender() {
        for (int n = senders.get(); n < maxSenders && !stopped; n = senders.get()) {
            if (senders.compareAndSet(n, n + 1)) {
                pool.execute(this::sendLoop);
                return;
            }
        }
    }

    /** No new request starts; returns what was never sent (a request under way completes). */
    List<T> stop() {
        stopped = true;
        List<T> left = new ArrayList<>();
        for (T entry; (entry = queue.poll()) != null; ) {
            left.add(entry);
        }
        return left;
    }

    private void sendLoop() {
        try {
            for (List<T> batch = next(); !batch.isEmpty() && !stopped; batch = next()) {
                send.accept(batch);
            }
        } finally {
            senders.decrementAndGet();
        }
        // an entry added after the last empty look but before the decrement found every
        // sender busy: start one for it
        if (!queue.isEmpty()) {
            startSender();
        }
    }

    /**
     * Up to 10 entries within the byte limit. Senders fill batches concurrently, so a batch may
     * come out smaller than it could be; an entry that would pass the limit goes back to the queue.
     */
    private List<T> next() {
        List<T> batch = new ArrayList<>(MAX_ENTRIES);
        long bytes = 0;
        for (T entry; batch.size() < MAX_ENTRIES && (entry = queue.poll()) != null; ) {
            long entrySize = size.applyAsLong(entry);
            if (!batch.isEmpty() && bytes + entrySize > maxBytes) {
                queue.add(entry); // the next request takes it
                break;
            }
            batch.add(entry);
            bytes += entrySize;
        }
        return batch;
    }
}
