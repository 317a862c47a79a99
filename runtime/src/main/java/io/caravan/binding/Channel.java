package io.caravan.binding;

import io.caravan.spec.BrokerSpec;
import io.caravan.workflow.NodeConfig;
import java.util.Objects;
import io.caravan.workflow.WorkflowNode;

/**
 * Where a node sends to or receives from: the workflow and node it belongs to, its credential,
 * its address (the node's {@code destination} or {@code source}) and the node's whole config
 * for binding-specific fields.
 */
public record Channel(String workflowId, String nodeId, String credentialId, String address, NodeConfig config) {

    /**
     * What the node sends to, for its output and metrics: the address, or the field that stands in
     * for a destination on this broker (a RabbitMQ exchange); null when neither is set.
     */
    public String target(BrokerSpec broker) {
        if (address != null || config == null) {
            return address;
        }
        return broker.destinationAlternatives().stream().sorted().map(config::string).filter(Objects::nonNull)
                .findFirst().orElse(null);
    }

    /** The channel of a send_message ({@code destination}) or receive_message ({@code source}) node. */
    public static Channel of(String workflowId, WorkflowNode node) {
        return new Channel(workflowId, node.id(), node.credentialId(), node.address(), node.config());
    }
}
