package io.caravan.compile;

import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.Processor;

/**
 * Compiles one trigger node type: the endpoint the route consumes from, and the processor that
 * turns what arrived into the run's {@code trigger} and {@code input}.
 */
public interface TriggerCompiler {

    NodeType type();

    String fromUri(WorkflowNode node, CompileContext context);

    Processor start(WorkflowNode node, CompileContext context);

    /** Adds the start step to the route: by default the {@link #start} processor, as a bean of the workflow. */
    default void compileStart(WorkflowNode node, CompileContext context, org.apache.camel.model.RouteDefinition route) {
        route.process(context.bean(node, "start", start(node, context))).id(context.camelId(node, "start"));
    }

    /** Whether the caller waits for the run's result (a webhook answers with it). */
    default boolean replies() {
        return false;
    }
}
