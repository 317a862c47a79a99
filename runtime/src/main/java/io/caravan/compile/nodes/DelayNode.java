package io.caravan.compile.nodes;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.util.Map;
import org.apache.camel.Exchange;
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
        step.delay(millis).id(context.camelId(node, "wait"));
        step.process(context.bean(node, "", new Delayed(context.workflow().id(), node.id(), millis)))
                .id(context.camelId(node, "output"));
    }

    static final class Delayed extends NodeProcessor {

        private final long millis;

        Delayed(String workflowId, String nodeId, long millis) {
            super(workflowId, nodeId);
            this.millis = millis;
        }

        @Override
        public void run(Exchange exchange, RunContext run) {
            run.putOutput(nodeId, Map.of("delayed_ms", millis));
        }
    }
}
