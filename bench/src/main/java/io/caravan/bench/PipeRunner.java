package io.caravan.bench;

import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;
import org.HdrHistogram.Histogram;

/**
 * Runs one pipe through the benchmark's two phases, each on fresh queues or topics so no run
 * sees another's messages:
 * <ol>
 * <li>fixed rate: the pipe is started, probed until a first message comes through, then fed
 *     at the broker's rate; the first seconds warm it up, the rest are measured (latency from the
 *     production timestamp to the final consumer);</li>
 * <li>drain: a source pre-loaded with the broker's count is drained by a new instance of the
 *     pipe (the JIT is warm from phase 1); throughput is measured from the first to the last
 *     message at the final consumer, CPU and heap over the same span.</li>
 * </ol>
 * Every phase counts lost messages (sent, not delivered, and no longer in the source once the
 * pipe stopped) and duplicates (delivered more than once).
 */
final class PipeRunner {

    private final BenchOptions options;
    private final Progress progress;

    PipeRunner(BenchOptions options, Progress progress) {
        this.options = options;
        this.progress = progress;
    }

    /** Lost and duplicated so far, over the phases of one pipe. */
    private static final class Counts {
        long lost;
        long duplicated;
    }

    /** The drain phase's figures. */
    record Drain(long preloaded, long drained, double msgsPerS, double cpuS, double peakHeapMb, long lost, long duplicated) {
    }

    PipeResult run(Broker broker, Variant variant) throws Exception {
        String tag = broker.name() + "/" + variant.key;
        long began = System.nanoTime();
        Counts counts = new Counts();
        long[] rate = new long[2];
        Histogram latency = fixedRate(broker, variant, tag, counts, rate);
        Drain drain = drain(broker, variant.key, tag, 1, (src, dst) -> broker.pipe(variant, src, dst));
        counts.lost += drain.lost();
        counts.duplicated += drain.duplicated();
        boolean keptUp = rate[1] >= rate[0] && latency.getTotalCount() > 0;
        String note = null;
        if (!keptUp) {
            note = String.format("did not keep up with %d msg/s: %s of %s delivered", broker.fixedRate(),
                    Progress.n(rate[1]), Progress.n(rate[0]));
        }
        if (drain.drained() < drain.preloaded()) {
            note = (note == null ? "" : note + "; ") + String.format("drain stopped after %ds: %s of %s drained",
                    options.drainCapSeconds(), Progress.n(drain.drained()), Progress.n(drain.preloaded()));
        }
        PipeResult result = new PipeResult(drain.drained(), drain.preloaded(), drain.msgsPerS(),
                keptUp ? ms(latency.getValueAtPercentile(50)) : null,
                keptUp ? ms(latency.getValueAtPercentile(99)) : null,
                keptUp ? ms(latency.getMaxValue()) : null,
                counts.lost, counts.duplicated, drain.cpuS(), drain.peakHeapMb(), rate[0], rate[1], note);
        progress.line(String.format("  %-22s %s msg/s, p50 %s ms, p99 %s ms, max %s ms, lost %d, dup %d, cpu %.1f s, heap %.0f MB"
                        + " [%.0f s]%s", tag, Progress.n(Math.round(result.msgsPerS())), fmt(result.p50Ms()), fmt(result.p99Ms()), fmt(result.maxMs()),
                result.lost(), result.duplicated(), result.cpuS(), result.peakHeapMb(), (System.nanoTime() - began) / 1e9,
                note == null ? "" : "  (" + note + ")"));
        return result;
    }

    private static Double ms(long micros) {
        return Math.round(micros / 10.0) / 100.0;
    }

    static String fmt(Double ms) {
        return ms == null ? "n/a" : ms < 10 ? String.format("%.2f", ms) : String.format("%.0f", ms);
    }

    private static String names(Broker broker, String variant, String phase) {
        return "bench-" + broker.name() + "-" + variant.replace('_', '-') + "-" + phase + "-"
                + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Phase 1; fills rate[0] (sent) and rate[1] (delivered) and returns the measured latencies. */
    private Histogram fixedRate(Broker broker, Variant variant, String tag, Counts counts, long[] rate) throws Exception {
        String src = names(broker, variant.key, "rate");
        String dst = src + "-out";
        broker.create(src, dst, 1);
        Recorder recorder = new Recorder();
        long sent = 0;
        try (AutoCloseable sink = broker.sink(dst, recorder); Loader loader = broker.loader(src)) {
            Pipe pipe = broker.pipe(variant, src, dst);
            progress.line("  " + tag + ": starting the pipe");
            try {
                pipe.start();
                long id = 0;
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (recorder.distinct() == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException(tag + ": nothing came through the pipe within 120 s");
                    }
                    loader.send(id++);
                    Thread.sleep(200);
                    progress.tick("  " + tag + ": waiting for the first message through the pipe");
                }
                int perSecond = broker.fixedRate();
                long warm = Math.round(perSecond * options.warmupSeconds());
                long total = warm + Math.round(perSecond * options.measureSeconds());
                recorder.latencyFrom(id + warm);
                long period = 1_000_000_000L / perSecond;
                long start = System.nanoTime();
                for (long i = 0; i < total; i++) {
                    long due = start + i * period;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    loader.send(id++);
                    progress.tick(String.format("  %s: fixed rate %d msg/s, %s/%s sent%s, %s received", tag, perSecond,
                            Progress.n(i + 1), Progress.n(total), i < warm ? " (warm-up)" : "", Progress.n(recorder.distinct())));
                }
                loader.flush();
                sent = id;
                await(recorder, sent, options.stallSeconds() * 2, options.stallSeconds(), tag, "fixed rate: delivering", false);
            } finally {
                pipe.close();
            }
            long delivered = settle(recorder, sent);
            long left = delivered < sent ? broker.remaining(src) : 0;
            counts.lost += Math.max(0, sent - delivered - left);
            counts.duplicated += recorder.received() - delivered;
            rate[0] = sent;
            rate[1] = delivered;
        } finally {
            broker.delete(src, dst);
        }
        return recorder.latency();
    }

    /** Phase 2: pre-load, start a pipe built by {@code pipes}, drain; also the Kafka scaling runs. */
    Drain drain(Broker broker, String variant, String tag, int partitions, BiFunction<String, String, Pipe> pipes)
            throws Exception {
        return drain(broker, variant, tag, partitions, options.drainCount(broker), pipes);
    }

    /** {@link #drain(Broker, String, String, int, BiFunction)} of {@code count} messages. */
    Drain drain(Broker broker, String variant, String tag, int partitions, int count, BiFunction<String, String, Pipe> pipes)
            throws Exception {
        String src = null;
        for (int attempt = 1; src == null; attempt++) {
            String name = names(broker, variant, "drain");
            broker.create(name, name + "-out", partitions);
            try (Loader loader = broker.loader(name)) {
                loader.preload(0, count, done -> progress.tick(String.format("  %s: pre-loading %s/%s", tag,
                        Progress.n(done), Progress.n(count))));
                src = name;
            } catch (RuntimeException e) {
                broker.delete(name, name + "-out");
                if (attempt == 2) {
                    throw e;
                }
                progress.line("  " + tag + ": pre-loading failed (" + e.getMessage() + "), once more on new queues");
            }
        }
        String dst = src + "-out";
        Meter meter = new Meter();
        Recorder recorder = new Recorder(meter::begin);
        try (AutoCloseable sink = broker.sink(dst, recorder)) {
            Pipe pipe = pipes.apply(src, dst);
            try {
                pipe.start();
                await(recorder, count, options.drainCapSeconds(), options.stallSeconds(), tag, "draining", true);
                meter.end();
            } finally {
                pipe.close();
            }
            long delivered = settle(recorder, count);
            long left = delivered < count ? broker.remaining(src) : 0;
            double seconds = recorder.activeSeconds();
            double perSecond = seconds > 0 ? (delivered - 1) / seconds : 0;
            return new Drain(count, delivered, perSecond, meter.cpuSeconds(), meter.peakHeapMb(),
                    Math.max(0, count - delivered - left), recorder.received() - delivered);
        } finally {
            broker.delete(src, dst);
        }
    }

    /**
     * Waits until {@code target} distinct messages arrived, nothing arrived for {@code stall}
     * seconds, or {@code cap} seconds passed since the first arrival (or since the call, when
     * the first message is slow: the pipe is still starting, up to two minutes).
     */
    private void await(Recorder recorder, long target, long cap, long stall, String tag, String what, boolean showRate)
            throws InterruptedException {
        long begin = System.nanoTime();
        long firstAt = recorder.received() > 0 ? begin : 0;
        long lastCount = -1;
        long lastChange = begin;
        while (true) {
            long now = System.nanoTime();
            long distinct = recorder.distinct();
            if (distinct >= target) {
                return;
            }
            if (distinct != lastCount) {
                lastCount = distinct;
                lastChange = now;
                if (firstAt == 0 && distinct > 0) {
                    firstAt = now;
                }
            }
            if (firstAt == 0 && now - begin > 120_000_000_000L) {
                return;
            }
            if (firstAt != 0 && (now - lastChange > stall * 1_000_000_000L || now - firstAt > cap * 1_000_000_000L)) {
                return;
            }
            double secs = firstAt == 0 ? 0 : (now - firstAt) / 1e9;
            progress.tick(String.format("  %s: %s %s/%s%s", tag, what, Progress.n(distinct), Progress.n(target),
                    showRate && secs > 1 ? String.format(" (%,.0f msg/s)", distinct / secs) : ""));
            Thread.sleep(20);
        }
    }

    /** After the pipe stopped: lets messages already sent reach the final consumer. */
    private static long settle(Recorder recorder, long target) throws InterruptedException {
        long last = -1;
        while (recorder.distinct() < target && recorder.distinct() != last) {
            last = recorder.distinct();
            Thread.sleep(750);
        }
        return recorder.distinct();
    }
}
