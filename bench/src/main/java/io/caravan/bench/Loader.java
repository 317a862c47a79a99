package io.caravan.bench;

import java.util.function.LongConsumer;

/** Puts benchmark messages into a source: pre-loading, or one at a time at a fixed rate. */
interface Loader extends AutoCloseable {

    /** Sends message {@code id}, stamped now; may return before the broker confirmed it. */
    void send(long id);

    /** Waits until every message sent so far is confirmed by the broker. */
    void flush();

    /** Sends ids [from, from + count) as fast as the broker takes them, then flushes. */
    default void preload(long from, long count, LongConsumer progress) {
        for (long i = 0; i < count; i++) {
            send(from + i);
            if ((i + 1) % 5000 == 0) {
                progress.accept(i + 1);
            }
        }
        flush();
        progress.accept(count);
    }

    @Override
    void close();
}
