package io.caravan.binding;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The waiting lines of a consumer's {@code ordering}: messages of one lane (a key, a partition, a
 * message group) run one after the other in the order they entered, messages of different lanes
 * side by side. The head of a lane is the one running (or waiting to run again); the rest wait
 * behind it. A message with no lane (null) never waits. Thread-safe: consumers enter from their
 * reading thread and leave from whichever thread finished the run.
 *
 * <p>The idea is the one of Confluent's Parallel Consumer in KEY mode
 * (https://github.com/confluentinc/parallel-consumer#ordering-guarantees); the bookkeeping is ours.
 *
 * @param <T> what a consumer keeps per message taken from the broker
 */
public final class Lanes<T> {

    private final Map<Object, ArrayDeque<T>> lanes = new HashMap<>();

    /** Puts {@code item} at the end of {@code lane}; true when nothing is ahead of it, so it starts now. */
    public boolean enter(Object lane, T item) {
        if (lane == null) {
            return true;
        }
        synchronized (lanes) {
            ArrayDeque<T> waiting = lanes.computeIfAbsent(lane, k -> new ArrayDeque<>());
            waiting.addLast(item);
            return waiting.size() == 1;
        }
    }

    /**
     * Takes {@code done}, the head of {@code lane}, off it; returns the item behind it, which
     * starts now, or null. Null too when {@code done} is no longer the head (its lane was dropped).
     */
    public T leave(Object lane, T done) {
        if (lane == null) {
            return null;
        }
        synchronized (lanes) {
            ArrayDeque<T> waiting = lanes.get(lane);
            if (waiting == null || waiting.peekFirst() != done) {
                return null;
            }
            waiting.removeFirst();
            T following = waiting.peekFirst();
            if (following == null) {
                lanes.remove(lane);
            }
            return following;
        }
    }

    /** Puts {@code now} in place of {@code head} at the head of {@code lane}; false when {@code head} is not its head. */
    public boolean replaceHead(Object lane, T head, T now) {
        if (lane == null) {
            return true;
        }
        synchronized (lanes) {
            ArrayDeque<T> waiting = lanes.get(lane);
            if (waiting == null || waiting.peekFirst() != head) {
                return false;
            }
            waiting.removeFirst();
            waiting.addFirst(now);
            return true;
        }
    }

    /**
     * Closes {@code lane} behind its head {@code head}: returns the items that waited there, which
     * will not run here (the broker delivers them again). Empty when {@code head} is not its head.
     */
    public List<T> dropBehind(Object lane, T head) {
        if (lane == null) {
            return List.of();
        }
        synchronized (lanes) {
            ArrayDeque<T> waiting = lanes.get(lane);
            if (waiting == null || waiting.peekFirst() != head) {
                return List.of();
            }
            lanes.remove(lane);
            waiting.removeFirst();
            return new ArrayList<>(waiting);
        }
    }

    /**
     * Closes every lane whose head matches: returns the items that waited behind those heads
     * (the heads themselves are running, or waiting to run again, and settle on their own).
     */
    public List<T> dropWhereHead(Predicate<T> head) {
        List<T> dropped = new ArrayList<>();
        synchronized (lanes) {
            for (var it = lanes.values().iterator(); it.hasNext(); ) {
                ArrayDeque<T> waiting = it.next();
                if (waiting.peekFirst() != null && head.test(waiting.peekFirst())) {
                    waiting.removeFirst();
                    dropped.addAll(waiting);
                    it.remove();
                }
            }
        }
        return dropped;
    }

    /** Messages in lanes, running or waiting. */
    public int size() {
        synchronized (lanes) {
            return lanes.values().stream().mapToInt(ArrayDeque::size).sum();
        }
    }
}
