package io.caravan.workflow;

import io.caravan.source.Diagnostic;
import io.caravan.source.Problems;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Checks the calls between workflows, which one file cannot: every {@code workflow} node names a
 * workflow that is loaded, and no chain of calls comes back to a workflow it started from.
 */
public final class CallGraph {

    private CallGraph() {
    }

    public static List<Diagnostic> problems(List<Workflow> workflows) {
        Map<String, Workflow> byId = new LinkedHashMap<>();
        workflows.forEach(w -> byId.put(w.id(), w));
        List<Diagnostic> problems = new ArrayList<>();
        for (Workflow w : workflows) {
            for (WorkflowNode node : calls(w)) {
                String target = node.config().string(NodeSpecs.Call.WORKFLOW_ID);
                Workflow called = byId.get(target);
                var at = node.config().location(NodeSpecs.Call.WORKFLOW_ID);
                if (called == null) {
                    problems.add(Diagnostic.at(w.sourceFile(), at, "workflow_id names no workflow '" + target
                            + "'; loaded workflows: " + Problems.list(List.copyOf(byId.keySet()))));
                }
            }
        }
        // a cycle is reported once, at the first of its workflows; each workflow's shortest one
        java.util.Set<java.util.Set<String>> reported = new java.util.HashSet<>();
        for (Workflow w : workflows) {
            cycleFrom(w.id(), byId).filter(cycle -> reported.add(java.util.Set.copyOf(cycle))).ifPresent(cycle -> {
                WorkflowNode first = calls(w).stream()
                        .filter(n -> n.config().string(NodeSpecs.Call.WORKFLOW_ID).equals(cycle.get(1 % cycle.size())))
                        .findFirst().orElseThrow();
                problems.add(Diagnostic.at(w.sourceFile(), first.config().location(NodeSpecs.Call.WORKFLOW_ID),
                        "calls form a cycle: " + String.join(" -> ", cycle) + " -> " + w.id()
                                + "; a workflow may not call itself, directly or through others"));
            });
        }
        return problems;
    }

    /** The ids of the workflows some workflow node of {@code workflows} calls. */
    public static java.util.Set<String> calledIds(java.util.Collection<Workflow> workflows) {
        java.util.Set<String> ids = new java.util.HashSet<>();
        workflows.forEach(w -> calls(w).forEach(n -> ids.add(n.config().string(NodeSpecs.Call.WORKFLOW_ID))));
        return ids;
    }

    private static List<WorkflowNode> calls(Workflow w) {
        return w.nodes().stream().filter(n -> n.type() == NodeType.WORKFLOW).toList();
    }

    /** The workflows on a shortest chain of calls from {@code start} back to it, or empty. */
    private static Optional<List<String>> cycleFrom(String start, Map<String, Workflow> byId) {
        Map<String, String> parent = new LinkedHashMap<>();
        List<String> queue = new ArrayList<>(List.of(start));
        while (!queue.isEmpty()) {
            String at = queue.remove(0);
            Workflow w = byId.get(at);
            if (w == null) {
                continue;
            }
            for (WorkflowNode n : calls(w)) {
                String next = n.config().string(NodeSpecs.Call.WORKFLOW_ID);
                if (next.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String p = at; p != null; p = parent.get(p)) {
                        path.add(0, p);
                    }
                    return Optional.of(path);
                }
                if (!parent.containsKey(next) && !next.equals(start)) {
                    parent.put(next, at);
                    queue.add(next);
                }
            }
        }
        return Optional.empty();
    }
}
