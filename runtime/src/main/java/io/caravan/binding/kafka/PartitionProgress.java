package io.caravan.binding.kafka;

import java.util.ArrayDeque;

/**
 * The records of one partition taken by this consumer, in offset order, and how far the group may
 * commit: up to (not including) the first record whose run has not finished. One per assignment
 * of the partition. Only the poll thread calls these methods but {@link #revoked}; a run's
 * completion sets its {@link Run}'s state from any thread.
 */
final class PartitionProgress {

    /** One started run. */
    static final class Run {
        private static final int RUNNING = 0;
        private static final int DONE = 1;

        final long offset;
        private volatile int state = RUNNING;

        Run(long offset) {
            this.offset = offset;
        }

        void done() {
            state = DONE;
        }

    }

    private final ArrayDeque<Run> started = new ArrayDeque<>();
    private long committable = -1;
    private long committed = -1;
    private volatile boolean revoked;

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

    /** A commit sent with {@link #committed} failed: the next {@link #advance} offers the offset again. */
    void commitFailed() {
        committed = -1;
    }

    /** Records started and not yet behind the commit point (finished ones after an unfinished one count). */
    int uncommitted() {
        return started.size();
    }

    /** The partition is no longer this consumer's: records of it still waiting must not run. */
    void revoke() {
        revoked = true;
    }

    boolean revoked() {
        return revoked;
    }

    boolean allFinished() {
        return started.stream().allMatch(r -> r.state != Run.RUNNING);
    }
}
