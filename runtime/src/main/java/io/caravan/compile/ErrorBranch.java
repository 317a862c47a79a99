package io.caravan.compile;

import io.caravan.CaravanException;
import io.caravan.template.RunContext;
import java.util.function.BiFunction;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code doCatch} of a node that has an error branch: records the failure as
 * {@code {{error.code}}}, {@code {{error.message}}} and {@code {{error.node}}}, so that the nodes
 * after the node's {@code label: error} edges run and the others do not.
 */
final class ErrorBranch implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger("io.caravan.run");

    private final String workflowId;
    private final String nodeId;
    private final BiFunction<Throwable, String, CaravanException> classify;

    ErrorBranch(String workflowId, String nodeId, BiFunction<Throwable, String, CaravanException> classify) {
        this.workflowId = workflowId;
        this.nodeId = nodeId;
        this.classify = classify;
    }

    @Override
    public void process(Exchange exchange) {
        Runs.Failure failure = Runs.failure(exchange);
        CaravanException error = classify.apply(failure.cause(), failure.node() == null ? nodeId : failure.node());
        RunContext run = Runs.of(exchange);
        run.fail(nodeId, error.describe());
        exchange.removeProperty(Runs.REDELIVERIES);
        LOG.info("workflow '{}' execution {}: node '{}' failed ({}{}), its error branch runs", workflowId,
                run.executionId(), nodeId, error.code(), nodeId.equals(error.node()) ? "" : " in node '" + error.node() + "'");
    }
}
