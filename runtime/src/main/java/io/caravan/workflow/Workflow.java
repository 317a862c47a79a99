package io.caravan.workflow;

import java.util.List;
import java.util.Optional;

/**
 * A validated workflow. Nodes are in the order they are written; {@link #executionOrder()}
 * gives the order they run in. {@code version} is a content hash of the source file.
 */
public record Workflow(String id, String name, List<WorkflowNode> nodes, List<Edge> edges,
                       String sourceFile, String version, ErrorHandling errorHandling) {

    public Workflow(String id, String name, List<WorkflowNode> nodes, List<Edge> edges, String sourceFile,
                    String version) {
        this(id, name, nodes, edges, sourceFile, version, ErrorHandling.NONE);
    }

    /** The error handling that applies to {@code node}: its own, part by part over the workflow's. */
    public ErrorHandling errorHandling(WorkflowNode node) {
        return errorHandling.overriddenBy(node.errorHandling());
    }

    /** Every credential the workflow uses: its broker nodes' and its dead letters', each once. */
    public List<String> credentialIds() {
        java.util.Set<String> ids = new java.util.LinkedHashSet<>();
        for (WorkflowNode node : nodes) {
            if (node.credentialId() != null) {
                ids.add(node.credentialId());
            }
            if (node.type() == NodeType.WEBHOOK && node.config().get(io.caravan.webhook.WebhookAuth.AUTH.name()) instanceof
                    java.util.Map<?, ?> auth && auth.get(io.caravan.webhook.WebhookAuth.CREDENTIAL_ID.name()) instanceof String id) {
                ids.add(id);
            }
            ErrorHandling.DeadLetter dl = errorHandling(node).deadLetter();
            if (dl != null && dl.credentialId() != null) {
                ids.add(dl.credentialId());
            }
        }
        if (errorHandling.deadLetter() != null && errorHandling.deadLetter().credentialId() != null) {
            ids.add(errorHandling.deadLetter().credentialId());
        }
        return List.copyOf(ids);
    }

    public Optional<WorkflowNode> node(String nodeId) {
        return nodes.stream().filter(n -> n.id().equals(nodeId)).findFirst();
    }

    public WorkflowNode trigger() {
        return nodes.stream().filter(WorkflowNode::trigger).findFirst()
                .orElseThrow(() -> new IllegalStateException("workflow " + id + " has no trigger"));
    }

    public List<Edge> incoming(String nodeId) {
        return edges.stream().filter(e -> e.to().equals(nodeId)).toList();
    }

    public List<Edge> outgoing(String nodeId) {
        return edges.stream().filter(e -> e.from().equals(nodeId)).toList();
    }

    /**
     * A for_each's loop body: the nodes its {@code each} edges lead to, nested loops' bodies
     * included (validation makes sure nothing else leads into them).
     */
    public java.util.Set<String> loopBody(String forEachId) {
        return Graphs.reachable(this, outgoing(forEachId).stream().filter(Edge::each).map(Edge::to).toList());
    }

    /** A parallel node's branches and the join they end at (validation makes sure there is one). */
    public Fork fork(String parallelId) {
        return Graphs.fork(parallelId, edges, id -> node(id).map(n -> n.type() == NodeType.JOIN).orElse(false));
    }

    /** The parallel node whose branches end at {@code joinId}. */
    public Fork forkOfJoin(String joinId) {
        return nodes.stream().filter(n -> n.type() == NodeType.PARALLEL).map(n -> fork(n.id()))
                .filter(f -> joinId.equals(f.join())).findFirst()
                .orElseThrow(() -> new IllegalStateException("join " + joinId + " ends no parallel"));
    }

    /** Nodes in a topological order of the edges, ties broken by the order in the file. */
    public List<WorkflowNode> executionOrder() {
        return Graphs.topologicalOrder(this);
    }
}
