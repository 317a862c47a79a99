package io.caravan.compile;

import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.RouteDefinition;

/**
 * Compiles one trigger node type: the endpoint the route consumes from, and the step that turns
 * what arrived into the run's {@code trigger} and {@code input} (a {@code caravan:} action).
 */
public interface TriggerCompiler {

    NodeType type();

    String fromUri(WorkflowNode node, CompileContext context);

    /** Adds the start step to the route. */
    void compileStart(WorkflowNode node, CompileContext context, RouteDefinition route);

    /** Whether the caller waits for the run's result (a webhook answers with it). */
    default boolean replies() {
        return false;
    }
}
