package io.caravan.workflow;

import io.caravan.source.Location;

/**
 * A directed edge. {@code when} is null for an unconditional edge, or the condition result
 * ({@code true}/{@code false}) under which a condition node follows it. {@code label} says what
 * else the edge means: {@link #EACH} (a for_each's loop body), {@link #DONE} (after the loop,
 * the same as no label) or {@link #ERROR} (taken when {@code from} fails); null otherwise.
 */
public record Edge(String from, String to, Boolean when, String label, Location location) {

    /** From a for_each: the first node of the body that runs once per item. */
    public static final String EACH = "each";
    /** From a for_each: runs once the loop is over (the same as an edge without a label). */
    public static final String DONE = "done";
    /** From an action node: runs when that node fails after its retries, instead of the dead letter. */
    public static final String ERROR = "error";

    public Edge(String from, String to, Boolean when, Location location) {
        this(from, to, when, null, location);
    }

    public boolean each() {
        return EACH.equals(label);
    }

    public boolean error() {
        return ERROR.equals(label);
    }

    /** Taken whenever {@code from} finished: no condition result and no each/error label. */
    public boolean plain() {
        return when == null && !each() && !error();
    }
}
