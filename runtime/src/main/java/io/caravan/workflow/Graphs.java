package io.caravan.workflow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Graph questions about a workflow's edges. */
final class Graphs {

    private Graphs() {
    }

    /** Kahn's algorithm; among ready nodes the one written first runs first. Assumes no cycle. */
    static List<WorkflowNode> topologicalOrder(Workflow wf) {
        Map<String, Integer> indegree = new LinkedHashMap<>();
        Map<String, WorkflowNode> byId = new HashMap<>();
        for (WorkflowNode n : wf.nodes()) {
            indegree.put(n.id(), 0);
            byId.put(n.id(), n);
        }
        for (Edge e : wf.edges()) {
            indegree.computeIfPresent(e.to(), (k, v) -> v + 1);
        }
        List<WorkflowNode> order = new ArrayList<>();
        List<String> ready = new ArrayList<>();
        indegree.forEach((id, d) -> {
            if (d == 0) {
                ready.add(id);
            }
        });
        while (!ready.isEmpty()) {
            String id = ready.remove(0);
            order.add(byId.get(id));
            for (Edge e : wf.outgoing(id)) {
                int d = indegree.merge(e.to(), -1, Integer::sum);
                if (d == 0) {
                    insertInFileOrder(ready, e.to(), indegree);
                }
            }
        }
        return order;
    }

    /** The nodes with a path from any of {@code starts}, the starts included. */
    static java.util.Set<String> reachable(Workflow wf, List<String> starts) {
        java.util.Set<String> seen = new java.util.LinkedHashSet<>(starts);
        java.util.Deque<String> queue = new java.util.ArrayDeque<>(starts);
        while (!queue.isEmpty()) {
            for (Edge e : wf.outgoing(queue.removeFirst())) {
                if (seen.add(e.to())) {
                    queue.addLast(e.to());
                }
            }
        }
        return seen;
    }

    private static void insertInFileOrder(List<String> ready, String id, Map<String, Integer> fileOrder) {
        List<String> keys = new ArrayList<>(fileOrder.keySet());
        int pos = keys.indexOf(id);
        int i = 0;
        while (i < ready.size() && keys.indexOf(ready.get(i)) < pos) {
            i++;
        }
        ready.add(i, id);
    }
}
