package io.caravan.bench;

import java.io.PrintStream;

/** Progress lines on stdout while the benchmark runs, at most one every interval per task. */
final class Progress {

    private final PrintStream out;
    private final long intervalNanos;
    private long last;

    Progress(PrintStream out, double intervalSeconds) {
        this.out = out;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
    }

    void line(String text) {
        out.println(text);
        out.flush();
        last = System.nanoTime();
    }

    /** Prints unless a line was printed less than an interval ago. */
    void tick(String text) {
        if (System.nanoTime() - last >= intervalNanos) {
            line(text);
        }
    }

    static String n(long value) {
        return String.format("%,d", value);
    }
}
