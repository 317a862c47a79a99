package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.Problems;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a workflow's graph: edges name nodes, condition edges carry {@code when}, exactly one
 * trigger, no cycle, every node reached. It also works out which nodes run before each node,
 * which is what templates may refer to.
 */
final class GraphChecker {

    /**
     * The edges to keep (condition shorthands added), the trigger's id or null, each node's earlier
     * nodes (those whose output it may name), and the nodes that run on an error branch (which may
     * name {@code {{error.*}}}).
     */
    record Result(List<Edge> edges, String trigger, Map<String, List<String>> earlier, Set<String> onErrorBranch) {
    }

    private final Problems problems;
    private final Map<String, NodeDraft> nodes = new LinkedHashMap<>();
    private final Location nodesAt;
    private final boolean complete;
    /** Fallback nodes (circuit_breaker fallback: node-id), each with the node it stands in for. */
    private final Map<String, String> fallbacks;
    /** Compensation nodes (a node's compensate: node-id), each with the node it undoes. */
    private final Map<String, String> compensations;

    /**
     * {@code complete} tells whether every node was read with its id and type; when not, the
     * trigger count and reachability are not judged, as they would only echo the earlier problem.
     * {@code fallbacks} are outside the graph: they run only in place of the node they protect.
     */
    GraphChecker(Problems problems, List<NodeDraft> nodes, Location nodesAt, boolean complete,
                 Map<String, String> fallbacks) {
        this(problems, nodes, nodesAt, complete, fallbacks, Map.of());
    }

    /** {@code compensations} are outside the graph too: they run only when a later node fails. */
    GraphChecker(Problems problems, List<NodeDraft> nodes, Location nodesAt, boolean complete,
                 Map<String, String> fallbacks, Map<String, String> compensations) {
        this.compensations = compensations;
        this.problems = problems;
        nodes.forEach(n -> this.nodes.put(n.id(), n));
        this.nodesAt = nodesAt;
        this.complete = complete && !nodes.isEmpty();
        this.fallbacks = fallbacks;
    }

    Result check(List<EdgeDraft> written) {
        List<Edge> edges = knownEdges(written);
        addConditionShorthands(edges);
        List<String> triggers = triggers(edges);
        String trigger = null;
        if (!complete) {
            trigger = null;
        } else if (triggers.isEmpty()) {
            problems.add(nodesAt, "workflow has no trigger; it needs exactly one webhook, schedule, call or"
                    + " receive_message node with no incoming edge");
        } else if (triggers.size() > 1) {
            problems.add(nodesAt, "workflow has " + triggers.size() + " triggers (" + String.join(", ", triggers)
                    + "); it needs exactly one");
        } else {
            trigger = triggers.get(0);
        }
        for (Edge e : edges) {
            if (e.error() && e.from().equals(trigger)) {
                problems.add(e.location(), "a trigger has no error branch: '" + e.from() + "' starts the run, and"
                        + " its failures are the run's (see error_handling)");
            }
        }
        for (Edge e : edges) {
            NodeDraft to = nodes.get(e.to());
            if (to.type() != null && to.type().role() == NodeType.Role.TRIGGER) {
                problems.add(e.location(), "edge into trigger '" + e.to() + "' (" + to.type().wireName()
                        + "); a trigger starts the workflow and has no incoming edges");
            }
        }
        for (Edge e : edges) {
            for (String end : List.of(e.from(), e.to())) {
                if (fallbacks.containsKey(end)) {
                    problems.add(e.location(), "node '" + end + "' is the fallback of '" + fallbacks.get(end)
                            + "' and runs only in its place; it takes no edges");
                } else if (compensations.containsKey(end)) {
                    problems.add(e.location(), "node '" + end + "' is the compensation of '" + compensations.get(end)
                            + "' and runs only when a later node fails; it takes no edges");
                }
            }
        }
        boolean cyclic = reportCycles(edges);
        Map<String, Set<String>> bodies = new LinkedHashMap<>();
        if (!cyclic) {
            bodies.putAll(loopBodies(edges));
            bodies.putAll(forks(edges));
        }
        if (trigger != null && !cyclic) {
            Set<String> reached = reachable(trigger, edges);
            for (NodeDraft n : nodes.values()) {
                if (!reached.contains(n.id()) && !fallbacks.containsKey(n.id()) && !compensations.containsKey(n.id())) {
                    problems.add(n.location(), "node '" + n.id() + "' is not reached from trigger '" + trigger
                            + "'; add an edge to it or remove it");
                }
            }
        }
        Map<String, List<String>> earlier = earlier(edges);
        // a node after a loop sees the loop's output, not what its body did for one item; a node
        // after a join sees the join's output, not the branches' nodes (they ran on copies of the run)
        bodies.forEach((loop, body) -> earlier.replaceAll((id, before) -> body.contains(id) ? before
                : before.stream().filter(n -> !body.contains(n)).toList()));
        Set<String> onErrorBranch = new HashSet<>();
        if (!cyclic) {
            edges.stream().filter(Edge::error).forEach(e -> onErrorBranch.addAll(reachable(e.to(), edges)));
        }
        return new Result(List.copyOf(edges), trigger, earlier, onErrorBranch);
    }

    /**
     * Each for_each's loop body: the nodes its {@code each} edges lead to. A body is entered only
     * through those edges, so every edge into a body node comes from the body or is one of them.
     */
    private Map<String, Set<String>> loopBodies(List<Edge> edges) {
        Map<String, Set<String>> bodies = new LinkedHashMap<>();
        for (NodeDraft n : nodes.values()) {
            if (!n.is(NodeType.FOR_EACH)) {
                continue;
            }
            List<Edge> each = edges.stream().filter(e -> e.from().equals(n.id()) && e.each()).toList();
            if (each.isEmpty()) {
                problems.add(n.location(), "for_each '" + n.id() + "' has no loop body; add an edge from it with"
                        + " label: each to the first node to run per item");
                continue;
            }
            Set<String> body = new HashSet<>();
            each.forEach(e -> body.addAll(reachable(e.to(), edges)));
            for (Edge e : edges) {
                if (body.contains(e.to()) && !body.contains(e.from()) && !(e.from().equals(n.id()) && e.each())) {
                    problems.add(e.location(), "edge " + e.from() + " -> " + e.to() + " enters the loop body of"
                            + " for_each '" + n.id() + "' from outside; a body node runs once per item and is"
                            + " reached only through the for_each's each edges");
                }
            }
            bodies.put(n.id(), body);
        }
        return bodies;
    }

    /**
     * Checks each parallel's branches: at least two, each with a node, meeting at one join, not
     * sharing nodes, and entered only from the parallel; every join ends exactly one parallel.
     * Returns each parallel's branch nodes.
     */
    private Map<String, Set<String>> forks(List<Edge> edges) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        Map<String, String> joined = new HashMap<>();
        for (NodeDraft n : nodes.values()) {
            if (!n.is(NodeType.PARALLEL)) {
                continue;
            }
            Fork fork = Graphs.fork(n.id(), edges, id -> nodes.get(id).is(NodeType.JOIN));
            if (fork.starts().size() < 2) {
                problems.add(n.location(), "parallel '" + n.id() + "' has " + fork.starts().size() + " outgoing edge"
                        + (fork.starts().size() == 1 ? "" : "s") + "; it needs one per branch, at least two");
                continue;
            }
            if (fork.join() == null) {
                problems.add(n.location(), "the branches of parallel '" + n.id() + "' (starting at "
                        + String.join(", ", fork.starts()) + ") never meet at one join node; end every branch with an"
                        + " edge to the same join");
                continue;
            }
            String previous = joined.put(fork.join(), n.id());
            if (previous != null) {
                problems.add(nodes.get(fork.join()).location(), "join '" + fork.join() + "' ends both parallel '"
                        + previous + "' and parallel '" + n.id() + "'; each parallel needs a join of its own");
            }
            Map<String, String> branchOf = new HashMap<>();
            Set<String> onTwo = new HashSet<>();
            for (int i = 0; i < fork.starts().size(); i++) {
                String start = fork.starts().get(i);
                if (start.equals(fork.join())) {
                    problems.add(n.location(), "parallel '" + n.id() + "' has an edge straight to its join '"
                            + fork.join() + "'; a branch needs at least one node");
                }
                for (String id : fork.branches().get(i)) {
                    String other = branchOf.putIfAbsent(id, start);
                    if (other != null && onTwo.add(id)) {
                        problems.add(nodes.get(id).location(), "node '" + id + "' is on two branches of parallel '"
                                + n.id() + "' (from '" + other + "' and from '" + start + "'); branches meet only at"
                                + " their join '" + fork.join() + "'");
                    }
                }
            }
            for (Edge e : edges) {
                boolean fromParallel = e.from().equals(n.id());
                if (fromParallel && e.label() != null) {
                    problems.add(e.location(), "edge " + e.from() + " -> " + e.to() + " has label \"" + e.label()
                            + "\"; the edges of a parallel start its branches and take no label");
                }
                String target = branchOf.get(e.to());
                if (target != null && !fromParallel && !onTwo.contains(e.to())
                        && !target.equals(branchOf.get(e.from()))) {
                    problems.add(e.location(), "edge " + e.from() + " -> " + e.to() + " enters the branch from '"
                            + target + "' of parallel '" + n.id() + "' from outside it; a branch is reached only from"
                            + " its parallel");
                }
                if (e.to().equals(fork.join()) && !branchOf.containsKey(e.from()) && !fromParallel) {
                    problems.add(e.location(), "edge " + e.from() + " -> " + e.to() + " leads into join '" + fork.join()
                            + "' from outside the branches of parallel '" + n.id() + "'");
                }
            }
            out.put(n.id(), branchOf.keySet());
        }
        for (NodeDraft n : nodes.values()) {
            if (n.is(NodeType.JOIN) && !joined.containsKey(n.id())) {
                problems.add(n.location(), "join '" + n.id() + "' ends no parallel; every branch of a parallel node"
                        + " must lead to it");
            }
        }
        return out;
    }

    /** Edges whose ends exist and whose {@code when} fits; the others are reported and dropped. */
    private List<Edge> knownEdges(List<EdgeDraft> written) {
        List<Edge> edges = new ArrayList<>();
        for (EdgeDraft d : written) {
            Edge e = d.edge();
            boolean ok = knownNode(e.from(), d.fromAt(), "from") & knownNode(e.to(), d.toAt(), "to");
            if (!ok) {
                continue;
            }
            NodeDraft from = nodes.get(e.from());
            if (e.label() != null && e.when() != null) {
                problems.add(d.labelAt(), "label \"" + e.label() + "\" and when: " + e.when() + " cannot go together");
                continue;
            }
            if ((e.each() || Edge.DONE.equals(e.label())) && from.type() != null && !from.is(NodeType.FOR_EACH)) {
                problems.add(d.labelAt(), "label \"" + e.label() + "\" is only allowed on edges leaving a for_each"
                        + " node; '" + e.from() + "' is " + from.type().wireName());
            }
            if (from.is(NodeType.CONDITION) && e.when() == null && !e.error()) {
                problems.add(e.location(), "edge from condition '" + e.from() + "' needs 'when: true' or 'when: false'"
                        + " (or label: \"true\" / \"false\")");
            } else if (!from.is(NodeType.CONDITION) && e.when() != null && from.type() != null) {
                problems.add(d.whenAt(), "'when' (or label) is only allowed on edges leaving a condition node; '" + e.from()
                        + "' is " + from.type().wireName());
            }
            if (edges.stream().anyMatch(x -> sameEdge(x, e))) {
                problems.add(e.location(), "duplicate edge " + e.from() + " -> " + e.to());
                continue;
            }
            edges.add(e);
        }
        return edges;
    }

    private boolean knownNode(String id, Location at, String end) {
        if (id == null || nodes.containsKey(id)) {
            return id != null;
        }
        problems.add(at, "edge '" + end + "' names no node '" + id + "'; known nodes: "
                + Problems.list(List.copyOf(nodes.keySet())));
        return false;
    }

    /** {@code onTrue: X} on a condition means the edge (condition -> X, when true) unless it is written. */
    private void addConditionShorthands(List<Edge> edges) {
        for (NodeDraft n : nodes.values()) {
            if (!n.is(NodeType.CONDITION)) {
                continue;
            }
            for (String key : List.of("onTrue", "onFalse")) {
                Object target = n.values().get(key);
                if (!(target instanceof String to)) {
                    continue;
                }
                Location at = n.locations().get(key);
                if (!nodes.containsKey(to)) {
                    problems.add(at, key + " names no node '" + to + "'; known nodes: "
                            + Problems.list(List.copyOf(nodes.keySet())));
                    continue;
                }
                Edge e = new Edge(n.id(), to, key.equals("onTrue"), at);
                if (edges.stream().noneMatch(x -> sameEdge(x, e))) {
                    edges.add(e);
                }
            }
        }
    }

    private static boolean sameEdge(Edge a, Edge b) {
        return a.from().equals(b.from()) && a.to().equals(b.to()) && Objects.equals(a.when(), b.when())
                && Objects.equals(a.label(), b.label());
    }

    private List<String> triggers(List<Edge> edges) {
        List<String> out = new ArrayList<>();
        for (NodeDraft n : nodes.values()) {
            if (isTrigger(n, edges)) {
                out.add(n.id());
            }
        }
        return out;
    }

    private boolean isTrigger(NodeDraft n, List<Edge> edges) {
        if (n.type() == null || fallbacks.containsKey(n.id()) || compensations.containsKey(n.id())) {
            return false;
        }
        return switch (n.type().role()) {
            case TRIGGER -> true;
            case EITHER -> edges.stream().noneMatch(e -> e.to().equals(n.id()));
            case ACTION -> false;
        };
    }

    /** Reports each cycle once, naming its nodes in order; true if there was any. */
    private boolean reportCycles(List<Edge> edges) {
        Map<String, List<String>> next = successors(edges);
        Set<String> inReportedCycle = new HashSet<>();
        boolean any = false;
        for (String start : nodes.keySet()) {
            if (inReportedCycle.contains(start)) {
                continue;
            }
            List<String> cycle = shortestPathBack(start, next);
            if (cycle != null) {
                any = true;
                inReportedCycle.addAll(cycle);
                problems.add(nodes.get(start).location(), "cycle: " + String.join(" -> ", cycle) + " -> " + start
                        + "; a workflow runs each node at most once");
            }
        }
        return any;
    }

    /** The nodes on a shortest path from {@code start} back to itself, or null if there is none. */
    private static List<String> shortestPathBack(String start, Map<String, List<String>> next) {
        Map<String, String> parent = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(start));
        Set<String> seen = new HashSet<>();
        while (!queue.isEmpty()) {
            String at = queue.removeFirst();
            for (String n : next.getOrDefault(at, List.of())) {
                if (n.equals(start)) {
                    List<String> path = new ArrayList<>();
                    for (String p = at; p != null; p = parent.get(p)) {
                        path.add(0, p);
                    }
                    return path;
                }
                if (seen.add(n)) {
                    parent.put(n, at);
                    queue.addLast(n);
                }
            }
        }
        return null;
    }

    private Set<String> reachable(String from, List<Edge> edges) {
        Map<String, List<String>> next = successors(edges);
        Set<String> seen = new HashSet<>(List.of(from));
        Deque<String> queue = new ArrayDeque<>(List.of(from));
        while (!queue.isEmpty()) {
            for (String n : next.getOrDefault(queue.removeFirst(), List.of())) {
                if (seen.add(n)) {
                    queue.addLast(n);
                }
            }
        }
        return seen;
    }

    /** For each node, the nodes with a path to it, in file order. */
    private Map<String, List<String>> earlier(List<Edge> edges) {
        List<Edge> reversed = edges.stream().map(e -> new Edge(e.to(), e.from(), e.when(), e.label(), e.location())).toList();
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String id : nodes.keySet()) {
            Set<String> before = reachable(id, reversed);
            out.put(id, nodes.keySet().stream().filter(n -> !n.equals(id) && before.contains(n)).toList());
        }
        // a fallback sees what the node it stands in for sees
        fallbacks.forEach((fallback, protectedNode) -> out.put(fallback, out.getOrDefault(protectedNode, List.of())));
        // a compensation sees what the node it undoes saw, and that node's output
        compensations.forEach((compensation, undone) -> {
            List<String> seen = new ArrayList<>(out.getOrDefault(undone, List.of()));
            seen.add(undone);
            out.put(compensation, seen);
        });
        return out;
    }

    private static Map<String, List<String>> successors(List<Edge> edges) {
        Map<String, List<String>> next = new HashMap<>();
        edges.forEach(e -> next.computeIfAbsent(e.from(), k -> new ArrayList<>()).add(e.to()));
        return next;
    }
}
