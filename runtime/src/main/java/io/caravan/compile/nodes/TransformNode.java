package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.ProcessorDefinition;

/**
 * {@code transform}: renders its template (Caravan's Camel language) into the body, which becomes
 * the node's output (parsed when it is JSON).
 */
public final class TransformNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.TRANSFORM;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        CaravanSteps.enter(node, context, step);
        step.setBody(CaravanSteps.template(node.config().string("template"))).id(context.camelId(node, "render"));
        step.to(CaravanSteps.uri("output", node, "json=true")).id(context.camelId(node, "output"));
    }
}
