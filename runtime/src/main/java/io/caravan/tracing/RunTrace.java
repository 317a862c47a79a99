package io.caravan.tracing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.slf4j.MDC;

/**
 * The spans of one run: the run's, and a span per node under it. A node's span starts when the
 * node is entered and ends when the next node of the same line of the run is entered (a branch
 * of a parallel or an item of a loop is a line of its own, see {@link #line}) or when the run
 * ends. What a node sends carries its span's context.
 */
public final class RunTrace {

    /** MDC keys every log line of a run carries while tracing is on. */
    public static final String MDC_TRACE = "caravan.trace_id";
    public static final String MDC_EXECUTION = "caravan.execution_id";

    private final Tracer tracer;
    private final String workflowId;
    private final String executionId;
    private final Span run;
    // every span this run started and has not ended yet, whatever line it is on
    private final Set<Span> open;
    private final Context parent;
    private Span node;
    private String nodeId;

    RunTrace(Tracer tracer, String workflowId, String executionId, Span run) {
        this(tracer, workflowId, executionId, run, ConcurrentHashMap.newKeySet(), Context.root().with(run));
    }

    private RunTrace(Tracer tracer, String workflowId, String executionId, Span run, Set<Span> open, Context parent) {
        this.tracer = tracer;
        this.workflowId = workflowId;
        this.executionId = executionId;
        this.run = run;
        this.open = open;
        this.parent = parent;
    }

    /** A line of its own (a branch, a loop item) whose nodes' spans are children of the node running now. */
    public RunTrace line() {
        Span under = node != null ? node : run;
        return new RunTrace(tracer, workflowId, executionId, run, open, Context.root().with(under));
    }

    /** Node {@code id} starts (again, on a retry: the same span goes on). */
    public void enter(String id) {
        if (id.equals(nodeId)) {
            return;
        }
        if (node != null) {
            node.end();
            open.remove(node);
        }
        nodeId = id;
        node = tracer.spanBuilder(workflowId + "." + id).setParent(parent).setAttribute(Tracing.WORKFLOW, workflowId)
                .setAttribute(Tracing.NODE, id).setAttribute(Tracing.EXECUTION, executionId).startSpan();
        open.add(node);
        mdc();
    }

    /** Puts {@code traceparent} (and {@code tracestate}) of the node running now into what it sends. */
    public void inject(BiConsumer<String, String> into) {
        Tracing.inject(Context.root().with(node != null ? node : run), into);
    }

    /** The trace context of the node running now, as headers: what a called workflow's run continues. */
    public Map<String, String> headers() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        inject(out::put);
        return out;
    }

    /** Ends every span of the run; a failure marks the run's span and the failed node's. */
    public void end(String failedNode, String code, String message) {
        for (Span s : open) {
            s.end();
        }
        open.clear();
        if (code != null) {
            run.setStatus(StatusCode.ERROR, code + (failedNode == null ? "" : " in " + failedNode));
            run.setAttribute("caravan.error.code", code);
            if (message != null) {
                run.setAttribute("caravan.error.message", message);
            }
        }
        run.end();
        MDC.remove(MDC_TRACE);
        MDC.remove(MDC_EXECUTION);
    }

    /** Marks the node running now as failed (its span ends with the run or when the next node starts). */
    public void failed(String id, String code) {
        if (node != null && id != null && id.equals(nodeId)) {
            node.setStatus(StatusCode.ERROR, code);
        }
    }

    public String traceId() {
        return run.getSpanContext().getTraceId();
    }

    /** The run's ids on this thread's log lines. */
    public void mdc() {
        if (!traceId().equals(MDC.get(MDC_TRACE))) {
            MDC.put(MDC_TRACE, traceId());
        }
        if (!executionId.equals(MDC.get(MDC_EXECUTION))) {
            MDC.put(MDC_EXECUTION, executionId);
        }
    }
}
