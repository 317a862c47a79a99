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
        Level level = Level.valueOf(node.config().string("level").toUpperCase(java.util.Locale.ROOT));
        Log log = new Log(context.workflow().id(), node.id(), context.template(node, "message"), level);
        step.process(context.bean(node, "", log)).id(context.camelId(node, "log"));
    }

    static final class Log extends NodeProcessor {

        private final Template message;
        private final Level level;
        private final Logger logger;

        Log(String workflowId, String nodeId, Template message, Level level) {
            super(workflowId, nodeId);
            this.message = message;
            this.level = level;
            this.logger = LoggerFactory.getLogger("caravan.workflow." + workflowId);
        }

        @Override
        public void run(Exchange exchange, RunContext run) {
            String text = message.render(run);
            // one log line per message, whatever the rendered values hold
            logger.atLevel(level).log("[{}] {}", nodeId, text.replace("\r", "\\r").replace("\n", "\\n"));
            run.putOutput(nodeId, Map.of("message", text));
        }
    }
}
