package io.caravan.workflow;

import io.caravan.source.Location;
/**
 * One node of a workflow after validation: its id, type, display name and its config with
 * defaults applied. {@code trigger} tells whether this node starts the workflow;
 * {@code idempotency} is null unless a receiving trigger sets it.
 */
public record WorkflowNode(String id, NodeType type, String name, NodeConfig config, boolean trigger,
                           Location location, ErrorHandling errorHandling, Idempotency idempotency) {

    /** The queue_type of a send_message or receive_message node; null for other nodes. */
    public String queueType() {
        return config.string(NodeSpecs.QUEUE_TYPE_FIELD);
    }

    /** The credential of a send_message or receive_message node; null for other nodes. */
    public String credentialId() {
        return config.string(NodeSpecs.CREDENTIAL);
    }

    /**
     * What a receive_message node reads ({@code source}) or a send_message node sends to
     * ({@code destination}); null for other nodes and for a send that names another field in
     * its place (a RabbitMQ exchange).
     */
    public String address() {
        return type == NodeType.RECEIVE_MESSAGE ? config.string(NodeSpecs.Receive.SOURCE)
                : type == NodeType.SEND_MESSAGE ? config.string(NodeSpecs.Send.DESTINATION) : null;
    }

    /** Whether the node talks to a broker: a send_message or receive_message. */
    public boolean usesBroker() {
        return type == NodeType.SEND_MESSAGE || type == NodeType.RECEIVE_MESSAGE;
    }

    public WorkflowNode(String id, NodeType type, String name, NodeConfig config, boolean trigger, Location location) {
        this(id, type, name, config, trigger, location, ErrorHandling.NONE, null);
    }

    public WorkflowNode(String id, NodeType type, String name, NodeConfig config, boolean trigger, Location location,
                        ErrorHandling errorHandling) {
        this(id, type, name, config, trigger, location, errorHandling, null);
    }
}
