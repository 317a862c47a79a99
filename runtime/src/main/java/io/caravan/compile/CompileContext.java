package io.caravan.compile;

import io.caravan.binding.Binding;
import io.caravan.binding.Channel;
import io.caravan.template.Template;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What node compilers share while one workflow compiles: the workflow, the bindings, and the
 * routes a node adds beside the workflow's.
 */
public final class CompileContext {

    private final Workflow workflow;
    private final Function<String, Binding> bindings;

    private final java.util.List<org.apache.camel.model.RouteDefinition> nodeRoutes = new java.util.ArrayList<>();

    /** Empty, or what sets a second route of the workflow apart ("call"): in its ids. */
    private final String scope;

    CompileContext(Workflow workflow, Function<String, Binding> bindings, String scope) {
        this.workflow = workflow;
        this.scope = scope.isEmpty() ? "" : "." + scope;
        this.bindings = bindings;
    }

    public Workflow workflow() {
        return workflow;
    }

    public Binding binding(WorkflowNode node) {
        return bindings.apply(node.queueType());
    }

    /** The channel of a send_message (destination) or receive_message (source) node. */
    public Channel channel(WorkflowNode node) {
        return Channel.of(workflow.id(), node);
    }

    /**
     * The Camel id of a node's step ({@code part} empty) or of one of its parts. Camel wants
     * processor ids unique across all routes, and two workflows may both have a node "hook", so
     * ids are qualified by the workflow: {@code <workflow-id>.<node-id>[.<part>]}.
     */
    public String camelId(WorkflowNode node, String part) {
        return camelId(node.id() + (part.isEmpty() ? "" : "." + part));
    }

    public String camelId(String local) {
        return workflow.id() + scope + "." + local;
    }

    /** A template field of a node, parsed once here; null when the field is absent. */
    public Template template(WorkflowNode node, String field) {
        String text = node.config().string(field);
        return text == null ? null : Template.parse(text);
    }

    public Map<String, Template> templates(WorkflowNode node, String field) {
        Map<String, Template> out = new LinkedHashMap<>();
        node.config().stringMap(field).forEach((k, v) -> out.put(k, Template.parse(v)));
        return out;
    }

    /** Adds a route the workflow's route calls (see {@link CompiledWorkflow#nodeRoutes}). */
    public void addNodeRoute(org.apache.camel.model.RouteDefinition route) {
        nodeRoutes.add(route);
    }

    java.util.List<org.apache.camel.model.RouteDefinition> nodeRoutes() {
        return java.util.List.copyOf(nodeRoutes);
    }
}
