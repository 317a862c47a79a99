package io.caravan.binding.sqs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import org.apache.camel.CamelContext;

/**
 * Entries that any thread adds and a few Caravan threads send, up to 10 per request (the most
 * SendMessageBatch and DeleteMessageBatch take:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html)
 * and within {@code maxBytes}. A sender takes whatever is queued, sends it and
 * repeats: there is no timer, so a lone entry goes at once and what arrives during a request goes
 * in the next one.
 */
final class Batcher<T> {

    static final int MAX_ENTRIES = 10;

    private final BlockingQueue<T> queue = new LinkedBlockingQueue<>();
    /** One sender fills a batch at a time, so the byte limit holds without a race on peek/poll. */
    private final ReentrantLock taking = new ReentrantLock();
    private final ToLongFunction<T> size;
    private final long maxBytes;
    private final Consumer<List<T>> send;
    private ExecutorService senders;

    Batcher(ToLongFunction<T> size, long maxBytes, Consumer<List<T>> send) {
        this.size = size;
        this.maxBytes = maxBytes;
        this.send = send;
    }

    void start(CamelContext context, Object owner, String name, int threads) {
        senders = context.getExecutorServiceManager().newFixedThreadPool(owner, name, threads);
        for (int i = 0; i < threads; i++) {
            senders.execute(this::sendLoop);
        }
    }

    void add(T entry) {
        queue.add(entry);
    }

    /** Stops the senders (interrupting a request in progress) and returns what was never sent. */
    List<T> stop(CamelContext context) {
        if (senders != null) {
            context.getExecutorServiceManager().shutdownNow(senders);
            senders = null;
        }
        List<T> left = new ArrayList<>();
        queue.drainTo(left);
        return left;
    }

    private void sendLoop() {
        while (!Thread.currentThread().isInterrupted()) {
            List<T> batch;
            try {
                batch = next();
            } catch (InterruptedException e) {
                return;
            }
            send.accept(batch);
        }
    }

    private List<T> next() throws InterruptedException {
        taking.lockInterruptibly();
        try {
            T first = queue.take();
            List<T> batch = new ArrayList<>(MAX_ENTRIES);
            batch.add(first);
            long bytes = size.applyAsLong(first);
            for (T next = queue.peek(); next != null && batch.size() < MAX_ENTRIES
                    && bytes + size.applyAsLong(next) <= maxBytes; next = queue.peek()) {
                batch.add(queue.poll());
                bytes += size.applyAsLong(next);
            }
            return batch;
        } finally {
            taking.unlock();
        }
    }
}
