package io.caravan.runtime;

import io.caravan.compile.CompiledWorkflow;
import io.caravan.source.Diagnostic;
import io.caravan.source.Location;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two workflows whose triggers compile to the same consumer endpoint (the same SQS or RabbitMQ
 * queue and credential; Kafka and Redis triggers read in each workflow's own group) cannot both start: Camel runs one consumer per endpoint ("Multiple consumers
 * for the same endpoint is not allowed"), and the second workflow used to stop the start-up with
 * an INTERNAL error in node 'null'. Found before start instead, at the second trigger's source.
 */
final class TriggerSources {

    private TriggerSources() {
    }

    static List<Diagnostic> clashes(List<CompiledWorkflow> workflows) {
        Map<String, CompiledWorkflow> byUri = new HashMap<>();
        List<Diagnostic> problems = new ArrayList<>();
        for (CompiledWorkflow cw : workflows) {
            WorkflowNode trigger = cw.workflow().trigger();
            if (trigger == null || trigger.type() != NodeType.RECEIVE_MESSAGE || cw.route().getInput() == null) {
                continue;
            }
            String uri = cw.route().getInput().getEndpointUri();
            CompiledWorkflow first = byUri.putIfAbsent(uri, cw);
            if (first != null) {
                Location firstAt = first.workflow().trigger().config().location(NodeSpecs.Receive.SOURCE);
                problems.add(Diagnostic.at(cw.workflow().sourceFile(), trigger.config().location(NodeSpecs.Receive.SOURCE),
                        "workflow '" + cw.workflow().id() + "' reads " + trigger.queueType() + " source '" + trigger.address()
                                + "' with credential '" + trigger.credentialId() + "' as workflow '" + first.workflow().id()
                                + "' does (" + first.workflow().sourceFile() + ":" + firstAt.line() + ":" + firstAt.column()
                                + "); a queue gives each message to one reader, and Camel runs one consumer per source, so"
                                + " one of them could not start: read the queue in one workflow, or have the sender"
                                + " publish to a fanout exchange (RabbitMQ) that gives each workflow a queue of its own"));
            }
        }
        return problems;
    }
}
