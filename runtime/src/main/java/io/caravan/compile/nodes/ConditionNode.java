package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.template.Condition;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.model.ProcessorDefinition;

/**
 * {@code condition}: evaluates its expression; its output {@code {"result": true|false}}
 * decides which outgoing edges ({@code when}) the run follows.
 */
public final class ConditionNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.CONDITION;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        Condition condition = Condition.parse(node.config().string("expression"));
        step.process(context.bean(node, "", new Evaluate(context.workflow().id(), node.id(), condition)))
                .id(context.camelId(node, "evaluate"));
    }

    static final class Evaluate extends NodeProcessor {

        private final Condition condition;

        Evaluate(String workflowId, String nodeId, Condition condition) {
            super(workflowId, nodeId);
            this.condition = condition;
        }

        @Override
        public void run(Exchange exchange, RunContext run) {
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("result", condition.evaluate(run));
            output.put("expression", condition.text());
            run.putOutput(nodeId, output);
        }
    }
}
