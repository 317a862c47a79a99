package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.ProcessorDefinition;

/**
 * {@code log}: renders its message (Caravan's language) and writes it to the logger
 * {@code caravan.workflow.<id>} through {@code caravan:log}. Not Camel's log EIP, because that
 * would evaluate the text as a Simple expression.
 */
public final class LogNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.LOG;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        CaravanSteps.enter(node, context, step);
        step.setBody(CaravanSteps.template(node.config().string("message"))).id(context.camelId(node, "render"));
        step.to(CaravanSteps.uri("log", node, "level=" + node.config().string("level") + "&workflow="
                + context.workflow().id())).id(context.camelId(node, "log"));
    }
}
