package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * {@code log}: writes its rendered message to the logger {@code caravan.workflow.<id>}. Not
 * Camel's log EIP, because that would evaluate the text as a Simple expression.
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
