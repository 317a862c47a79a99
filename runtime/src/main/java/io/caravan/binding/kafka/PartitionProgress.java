package io.caravan.binding.kafka;

import java.util.ArrayDeque;

/**
 * The records of one partition whose runs have started, in offset order, and how far the group
 * may commit: up to (not including) the first record whose run has not finished. Only the poll
 * thread calls these methods; a run's completion sets its {@link Run}'s state from any thread.
 */
final class PartitionProgress {

    /** One started run. */
    static final class Run {
        private static final int RUNNING = 0;
        private static final int DONE = 1;
        private static final int FAILED = 2;

        final long offset;
        private volatile int state = RUNNING;

        Run(long offset) {
            this.offset = offset;
        }

        void done() {
            state = DONE;
        }

        void failed() {
            state = FAILED;
        }
    }

    private final ArrayDeque<Run> started = new ArrayDeque<>();
    private long committable = -1;
    private long committed = -1;

    Run start(long offset) {
        Run run = new Run(offset);
        started.addLast(run);
        return run;
    }

    /**
     * Drops the finished runs at the head and returns the offset to commit next (the offset of
     * the first unfinished record, or one past the last finished one), or -1 when it has not
     * moved since the last {@link #committed}.
     */
    long advance() {
        Run head;
        while ((head = started.peekFirst()) != null && head.state == Run.DONE) {
            committable = head.offset + 1;
            started.removeFirst();
        }
        return committable > committed ? committable : -1;
    }

    void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    /**
     * The offset of the first run that failed unhandled, or -1. Runs after it are forgotten (they
     * are read again from there, so their records may be delivered twice: at-least-once).
     */
    long firstFailure() {
        long failedAt = -1;
        for (var it = started.iterator(); it.hasNext(); ) {
            Run run = it.next();
            if (failedAt < 0 && run.state == Run.FAILED) {
                failedAt = run.offset;
            }
            if (failedAt >= 0) {
                it.remove();
            }
        }
        return failedAt;
    }

    boolean allFinished() {
        return started.stream().allMatch(r -> r.state != Run.RUNNING);
    }
}
