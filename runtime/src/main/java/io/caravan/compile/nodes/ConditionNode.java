package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.ProcessorDefinition;

/**
 * {@code condition}: a {@code choice} whose {@code when} is its expression in Caravan's Camel
 * language; its output {@code {"result": true|false}} decides which outgoing edges
 * ({@code when}) the run follows.
 */
public final class ConditionNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.CONDITION;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        CaravanSteps.enter(node, context, step);
        ChoiceDefinition choice = step.choice();
        choice.id(context.camelId(node, "evaluate"));
        choice.when(CaravanSteps.template(node.config().string("expression")))
                .to(CaravanSteps.uri("result", node, "value=true")).id(context.camelId(node, "true"));
        choice.otherwise().to(CaravanSteps.uri("result", node, "value=false")).id(context.camelId(node, "false"));
        choice.end();
    }
}
