package io.caravan.runtime.management;

import io.caravan.CaravanException;
import io.caravan.compile.RunEvents;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Per workflow, how many runs started and failed and what the last failure was, collected from
 * run events. Kept by workflow id, so a reload does not forget a workflow's history.
 */
public final class RunRecords implements RunEvents {

    /** A failed run: its error code, the node it failed in (may be null) and when. */
    public record LastError(String code, String node, String message, Instant time) {
    }

    private final Map<String, AtomicLong> started = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> failed = new ConcurrentHashMap<>();
    private final Map<String, LastError> lastErrors = new ConcurrentHashMap<>();
    /** How many recent failures are kept per workflow, newest first, for the console. */
    static final int RECENT = 10;
    private final Map<String, java.util.Deque<LastError>> recent = new ConcurrentHashMap<>();

    @Override
    public void received(String workflowId, String nodeId, String queueType, String source) {
        started.computeIfAbsent(workflowId, k -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public void failed(String workflowId, CaravanException error) {
        failed.computeIfAbsent(workflowId, k -> new AtomicLong()).incrementAndGet();
        String code = error.code() == null ? null : error.code().name();
        LastError last = new LastError(code, error.node(), error.getMessage(), Instant.now());
        lastErrors.put(workflowId, last);
        java.util.Deque<LastError> kept = recent.computeIfAbsent(workflowId, k -> new java.util.concurrent.ConcurrentLinkedDeque<>());
        kept.addFirst(last);
        while (kept.size() > RECENT) {
            kept.pollLast();
        }
    }

    public long started(String workflowId) {
        AtomicLong n = started.get(workflowId);
        return n == null ? 0 : n.get();
    }

    public long failed(String workflowId) {
        AtomicLong n = failed.get(workflowId);
        return n == null ? 0 : n.get();
    }

    /** The workflow's last failures, newest first (at most {@link #RECENT}). */
    public java.util.List<LastError> lastErrors(String workflowId) {
        java.util.Deque<LastError> kept = recent.get(workflowId);
        return kept == null ? java.util.List.of() : java.util.List.copyOf(kept);
    }

    /** The last failure of the workflow, or null. */
    public LastError lastError(String workflowId) {
        return lastErrors.get(workflowId);
    }
}
