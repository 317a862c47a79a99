package io.caravan.compile.nodes;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.camel.Processor;

/**
 * The processors behind the {@code caravan:} endpoints of loops and forks (see
 * {@link io.caravan.camel.CaravanComponent}): each made from the endpoint's URI alone, so a
 * compiled route names an endpoint, not a bean of its workflow.
 */
public final class RunSteps {

    private RunSteps() {
    }

    /** {@code caravan:items/<loop>?max=N}: the body holds the items. */
    public static Processor items(String workflowId, String loop, int max) {
        return new ForEachNode.Items(workflowId, loop, max);
    }

    /** {@code caravan:item/<loop>}: one item starts on its own copy of the run. */
    public static Processor item(String workflowId, String loop) {
        return new ForEachNode.Item(workflowId, loop);
    }

    /** {@code caravan:item-done/<loop>?nodes=...}: the item's result. */
    public static Processor itemDone(String loop, List<String> body) {
        return new ForEachNode.Result(loop, Set.copyOf(body));
    }

    /** {@code caravan:loop-done/<loop>}: the loop's output, or its first item's failure. */
    public static Processor loopDone(String workflowId, String loop) {
        return new ForEachNode.Output(workflowId, loop);
    }

    /** {@code caravan:fork/<parallel>?branches=N&wait=all|any}. */
    public static Processor fork(String workflowId, String parallel, int branches, boolean any) {
        return new ParallelNode.Open(workflowId, parallel, branches, any);
    }

    /** {@code caravan:branch/<parallel>}: a branch starts on its own copy of the run. */
    public static Processor branch(String workflowId, String parallel) {
        return new ParallelNode.BranchStart(workflowId, parallel);
    }

    /** {@code caravan:branch-done/<parallel>?nodes=...}: the branch's result. */
    public static Processor branchDone(String parallel, List<String> nodes) {
        return new ParallelNode.BranchEnd(parallel, Set.copyOf(nodes));
    }

    /** {@code caravan:join/<join>?parallel=p&starts=a,b&timeout=ms}. */
    public static Processor join(String workflowId, String join, String parallel, List<String> starts, long timeoutMs) {
        return new ParallelNode.Join(workflowId, join, parallel, starts, timeoutMs > 0 ? Duration.ofMillis(timeoutMs) : null);
    }

    /** {@code caravan:call/<node>?target=t[&mode=async]}: the body is the called run's input. */
    public static Processor call(String workflowId, String node, String target, boolean async) {
        return new WorkflowCalls.Prepare(workflowId, node, target, async);
    }

    /** {@code caravan:called/<node>[?mode=async]}: the call's output. */
    public static Processor called(String workflowId, String node, boolean async) {
        return new WorkflowCalls.Output(workflowId, node, async);
    }

    /** {@code caravan:http/<node>?method=...&timeout=ms[&failOn4xx][&failOn5xx][&json][&caFile=RAW(...)]}. */
    public static Processor http(String workflowId, String node, String method, long timeoutMs, boolean failOn4xx,
                                 boolean failOn5xx, String caFile, boolean jsonBody) {
        return HttpNode.call(workflowId, node, method, Duration.ofMillis(timeoutMs), failOn4xx, failOn5xx, caFile, jsonBody);
    }

    /** {@code caravan:call-start/<trigger>}: a called run starts with the body as its input. */
    public static Processor callStart(String workflowId, String trigger, io.caravan.compile.RunEvents events) {
        return new WorkflowCalls.Start(workflowId, trigger, events);
    }
}
