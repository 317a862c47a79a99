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

    /**
     * Works out the fork of {@code parallel}: its join is the join node every branch reaches that
     * no other such join comes before (so a nested parallel's join is not taken for it).
     */
    static Fork fork(String parallel, List<Edge> edges, java.util.function.Predicate<String> isJoin) {
        Map<String, List<String>> next = new HashMap<>();
        edges.forEach(e -> next.computeIfAbsent(e.from(), k -> new ArrayList<>()).add(e.to()));
        List<String> starts = next.getOrDefault(parallel, List.of()).stream().distinct().toList();
        java.util.Set<String> common = null;
        for (String start : starts) {
            java.util.Set<String> joins = new java.util.LinkedHashSet<>(walk(start, next, id -> false));
            joins.removeIf(id -> !isJoin.test(id));
            if (common == null) {
                common = joins;
            } else {
                common.retainAll(joins);
            }
        }
        String join = null;
        if (common != null) {
            java.util.Set<String> candidates = common;
            join = candidates.stream().filter(j -> candidates.stream()
                    .noneMatch(other -> !other.equals(j) && walk(other, next, id -> false).contains(j)))
                    .findFirst().orElse(null);
        }
        String end = join;
        List<java.util.Set<String>> branches = starts.stream()
                .map(start -> start.equals(end) ? java.util.Set.<String>of() : walk(start, next, id -> id.equals(end)))
                .toList();
        return new Fork(parallel, join, starts, branches);
    }

    /** The nodes with a path from {@code start} (included) that does not pass a node {@code stop} accepts. */
    private static java.util.Set<String> walk(String start, Map<String, List<String>> next,
                                              java.util.function.Predicate<String> stop) {
        java.util.Set<String> seen = new java.util.LinkedHashSet<>(List.of(start));
        java.util.Deque<String> queue = new java.util.ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            for (String n : next.getOrDefault(queue.removeFirst(), List.of())) {
                if (!stop.test(n) && seen.add(n)) {
                    queue.addLast(n);
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
