package io.caravan.compile;

import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.ProcessorDefinition;

/**
 * Compiles one action node type into Camel steps. The steps go inside a {@code step} whose id
 * is the node id, so JMX and metrics speak the workflow's names.
 */
public interface NodeCompiler {

    NodeType type();

    void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step);
}
