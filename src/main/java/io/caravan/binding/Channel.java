package io.caravan.binding;

import io.caravan.workflow.NodeConfig;
import io.caravan.workflow.WorkflowNode;

/**
 * Where a node sends to or receives from: the workflow and node it belongs to, its credential,
 * its address (the node's {@code destination} or {@code source}) and the node's whole config
 * for binding-specific fields.
 */
public record Channel(String workflowId, String nodeId, String credentialId, String address, NodeConfig config) {

    /** The channel of a send_message ({@code destination}) or receive_message ({@code source}) node. */
    public static Channel of(String workflowId, WorkflowNode node) {
        NodeConfig config = node.config();
        String address = config.has("destination") ? config.string("destination") : config.string("source");
        return new Channel(workflowId, node.id(), config.string("credential_id"), address, config);
    }
}
