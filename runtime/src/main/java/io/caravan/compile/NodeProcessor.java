package io.caravan.compile;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.template.MissingValueException;
import io.caravan.template.RunContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Base of the processors a node compiles to: marks the node as running and turns failures into
 * {@link CaravanException}s that name the node.
 */
public abstract class NodeProcessor implements Processor {

    protected final String workflowId;
    protected final String nodeId;

    protected NodeProcessor(String workflowId, String nodeId) {
        this.workflowId = workflowId;
        this.nodeId = nodeId;
    }

    @Override
    public final void process(Exchange exchange) throws Exception {
        if (!nodeId.equals(exchange.getProperty(Runs.NODE))) {
            // attempts count per node: a retry in an earlier node is not this node's
            exchange.removeProperty(Runs.REDELIVERIES);
        }
        exchange.setProperty(Runs.NODE, nodeId);
        io.caravan.tracing.Tracing.enter(exchange, nodeId);
        try {
            // null only for triggers, which start the run
            run(exchange, exchange.getProperty(Runs.RUN, RunContext.class));
        } catch (CaravanException e) {
            throw e.inNode(nodeId);
        } catch (MissingValueException e) {
            throw new CaravanException(ErrorCode.TEMPLATE_VALUE_MISSING,
                    "node '" + nodeId + "': " + e.getMessage(), nodeId, e);
        }
    }

    protected abstract void run(Exchange exchange, RunContext run) throws Exception;

    public String nodeId() {
        return nodeId;
    }
}
