package io.caravan.binding;

import io.caravan.workflow.NodeConfig;

/**
 * Where a node sends to or receives from: the workflow and node it belongs to, its credential,
 * its address (the node's {@code destination} or {@code source}) and the node's whole config
 * for binding-specific fields.
 */
public record Channel(String workflowId, String nodeId, String credentialId, String address, NodeConfig config) {
}
