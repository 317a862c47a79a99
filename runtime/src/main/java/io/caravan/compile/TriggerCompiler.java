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

    /** Whether the caller waits for the run's result (a webhook answers with it). */
    default boolean replies() {
        return false;
    }
}
