package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.ProcessorDefinition;

/** {@code delay}: Camel's delay EIP for the node's duration. */
public final class DelayNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.DELAY;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        long millis = node.config().duration("duration").toMillis();
        CaravanSteps.enter(node, context, step);
        step.delay(millis).id(context.camelId(node, "wait"));
        step.setBody(CaravanSteps.template("{\"delayed_ms\": " + millis + "}")).id(context.camelId(node, "done"));
        step.to(CaravanSteps.uri("output", node, "json=true")).id(context.camelId(node, "output"));
    }
}
