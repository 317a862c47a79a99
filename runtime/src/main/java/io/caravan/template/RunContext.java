package io.caravan.template;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The data one workflow run has seen so far: {@code input} (the trigger's payload),
 * {@code trigger} (the trigger node's whole output) and each finished node's output under its
 * id. Values are plain JSON-shaped Java (Map, List, String, Number, Boolean, null). One run
 * is one exchange, so this is not shared between threads.
 */
public final class RunContext {

    public static final String INPUT = "input";
    public static final String TRIGGER = "trigger";
    public static final String NOW = "now";
    /** On an error branch: {@code {"code", "message", "node"}} of the failure that took it. */
    public static final String ERROR = "error";

    /** Made when first asked for: most queue-triggered runs never are, and a random UUID costs a SecureRandom read. */
    private String executionId;
    private final Map<String, Object> roots = new LinkedHashMap<>();
    private final Map<String, Boolean> ran = new LinkedHashMap<>();
    private final java.util.Set<String> failed = new java.util.LinkedHashSet<>();
    /** Gates of the parallels this run is a branch of: whether the branch may start its next node. */
    private final Map<String, java.util.function.BooleanSupplier> gates = new java.util.HashMap<>();
    /**
     * The compensations of the nodes that completed, newest first: {node, compensation node,
     * where its steps run}. Shared with loop items and branches, so theirs count too.
     */
    private java.util.Deque<String[]> compensations = new java.util.concurrent.ConcurrentLinkedDeque<>();

    /** What {{now}} and the timestamps of this run read: the system's, or the one `caravan test` fixes. */
    private java.time.Clock clock = java.time.Clock.systemUTC();

    public RunContext() {
        this(null);
    }

    /** The run's spans when tracing is on, else null. */
    private io.caravan.tracing.RunTrace trace;

    public io.caravan.tracing.RunTrace trace() {
        return trace;
    }

    public void trace(io.caravan.tracing.RunTrace trace) {
        this.trace = trace;
    }

    /** The clock this run reads the time from. */
    public RunContext useClock(java.time.Clock clock) {
        this.clock = clock;
        return this;
    }

    /** Now, by this run's clock. */
    public java.time.Instant now() {
        return clock.instant();
    }

    public RunContext(String executionId) {
        this.executionId = executionId;
    }

    public String executionId() {
        if (executionId == null) {
            executionId = UUID.randomUUID().toString();
        }
        return executionId;
    }

    /** Records the trigger node's output; {@code input} is its payload. */
    public void startWith(String triggerNodeId, Map<String, Object> triggerOutput, Object input) {
        roots.put(TRIGGER, triggerOutput);
        roots.put(INPUT, input);
        putOutput(triggerNodeId, triggerOutput);
    }

    public void putOutput(String nodeId, Object output) {
        roots.put(nodeId, output);
        ran.put(nodeId, Boolean.TRUE);
    }

    /**
     * Records that {@code nodeId} failed and its error branch runs: {@code error} holds the
     * failure; the node has no output, so its other edges are not taken.
     */
    public void fail(String nodeId, Map<String, Object> error) {
        roots.put(ERROR, error);
        failed.add(nodeId);
    }

    /** Puts a failure where {@code {{error.*}}} reads it, without marking a node failed (a compensation's context). */
    public void error(Map<String, Object> error) {
        roots.put(ERROR, error);
    }

    /** Node {@code nodeId} completed; should a later node fail, {@code compensation} undoes it. */
    public void completed(String nodeId, String compensation, String endpointUri) {
        compensations.addFirst(new String[] {nodeId, compensation, endpointUri});
    }

    /** The compensations to run, newest first, and forgets them (they run once). */
    public List<String[]> takeCompensations() {
        List<String[]> out = new java.util.ArrayList<>();
        for (String[] c; (c = compensations.pollFirst()) != null; ) {
            out.add(c);
        }
        return out;
    }

    public boolean hasFailed(String nodeId) {
        return failed.contains(nodeId);
    }

    /**
     * A run of a loop body for one item: it sees everything this run saw, and what it records
     * stays its own (items may run at the same time, each on its own copy).
     */
    public RunContext child() {
        RunContext child = new RunContext(executionId());
        child.roots.putAll(roots);
        child.ran.putAll(ran);
        child.failed.addAll(failed);
        child.gates.putAll(gates);
        child.compensations = compensations;
        child.clock = clock;
        // a loop item or a branch is a line of the run's trace of its own
        child.trace = trace == null ? null : trace.line();
        return child;
    }

    /** This run is a branch of parallel {@code parallelId}; {@code open} says whether it may go on. */
    public void gate(String parallelId, java.util.function.BooleanSupplier open) {
        gates.put(parallelId, open);
    }

    /** Whether this run, a branch of {@code parallelId}, may start its next node. */
    public boolean isOpen(String parallelId) {
        java.util.function.BooleanSupplier open = gates.get(parallelId);
        return open != null && open.getAsBoolean();
    }

    public boolean hasRun(String nodeId) {
        return ran.containsKey(nodeId);
    }

    public Object output(String nodeId) {
        return roots.get(nodeId);
    }

    /** Whether {@code root} names something in this run (now is always there). */
    public boolean hasRoot(String root) {
        return NOW.equals(root) || roots.containsKey(root);
    }

    public Object root(String root) {
        return roots.get(root);
    }

    public Map<String, Object> roots() {
        return Collections.unmodifiableMap(roots);
    }

    /**
     * Of {@code among}, the node that finished last (not one that failed into its error branch),
     * or null when none did: a loop item's or a parallel branch's result.
     */
    public String lastRanOf(java.util.Set<String> among) {
        String last = null;
        for (String id : ran.keySet()) {
            if (among.contains(id) && !failed.contains(id)) {
                last = id;
            }
        }
        return last;
    }

    /** The nodes that ran, in the order they ran. */
    public List<String> ranNodes() {
        return List.copyOf(ran.keySet());
    }
}
