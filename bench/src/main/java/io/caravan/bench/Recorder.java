package io.caravan.bench;

import java.util.BitSet;
import org.HdrHistogram.Histogram;

/**
 * What the final consumer saw in one phase: which ids arrived (to count lost and duplicated
 * messages), when the first and last arrived, and the latency from production to arrival of
 * the ids from {@link #latencyFrom} on (the earlier ones are a warm-up).
 */
final class Recorder {

    /** Up to an hour, 3 significant digits, in microseconds. */
    private final Histogram latency = new Histogram(3_600_000_000L, 3);
    private final BitSet seen = new BitSet();
    private final Runnable onFirst;
    private volatile long latencyFrom = Long.MAX_VALUE;
    private long received;
    private long distinct;
    private long firstNanos;
    private long lastNanos;

    Recorder(Runnable onFirst) {
        this.onFirst = onFirst;
    }

    Recorder() {
        this(() -> { });
    }

    void latencyFrom(long id) {
        latencyFrom = id;
    }

    /** Called by a final consumer for every message it reads (the pipe's output text). */
    void record(String output) {
        long[] idTs = Payload.read(output);
        record(idTs[0], idTs[1]);
    }

    void record(long id, long tsMicros) {
        long now = System.nanoTime();
        long micros = Payload.nowMicros();
        boolean first;
        synchronized (this) {
            first = received == 0;
            received++;
            if (first) {
                firstNanos = now;
            }
            lastNanos = now;
            if (!seen.get((int) id)) {
                seen.set((int) id);
                distinct++;
                if (id >= latencyFrom) {
                    latency.recordValue(Math.max(0, Math.min(micros - tsMicros, latency.getHighestTrackableValue())));
                }
            }
        }
        if (first) {
            onFirst.run();
        }
    }

    synchronized long received() {
        return received;
    }

    synchronized long distinct() {
        return distinct;
    }

    /** Seconds between the first and the last arrival. */
    synchronized double activeSeconds() {
        return (lastNanos - firstNanos) / 1e9;
    }

    synchronized long lastNanos() {
        return lastNanos;
    }

    synchronized Histogram latency() {
        return latency.copy();
    }
}
