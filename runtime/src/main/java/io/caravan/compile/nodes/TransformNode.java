package io.caravan.compile.nodes;

import io.caravan.Json;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.Exchange;
import org.apache.camel.model.ProcessorDefinition;

/** {@code transform}: renders its template into the new payload (parsed when it is JSON). */
public final class TransformNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.TRANSFORM;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        Template template = context.template(node, "template");
        step.process(context.bean(node, "", new Transform(context.workflow().id(), node.id(), template)))
                .id(context.camelId(node, "render"));
    }

    static final class Transform extends NodeProcessor {

        private final Template template;

        Transform(String workflowId, String nodeId, Template template) {
            super(workflowId, nodeId);
            this.template = template;
        }

        @Override
        public void run(Exchange exchange, RunContext run) {
            Object value = template.renderValue(run);
            Object output = value instanceof String s ? Json.parseIfJson(s) : value;
            run.putOutput(nodeId, output);
            exchange.getIn().setBody(value instanceof String s ? s : Json.write(value));
        }
    }
}
