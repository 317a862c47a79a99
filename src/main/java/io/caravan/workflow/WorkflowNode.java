package io.caravan.workflow;

import io.caravan.source.Location;
/**
 * One node of a workflow after validation: its id, type, display name and its config with
 * defaults applied. {@code trigger} tells whether this node starts the workflow;
 * {@code idempotency} is null unless a receiving trigger sets it.
 */
public record WorkflowNode(String id, NodeType type, String name, NodeConfig config, boolean trigger,
                           Location location, ErrorHandling errorHandling, Idempotency idempotency) {

    public WorkflowNode(String id, NodeType type, String name, NodeConfig config, boolean trigger, Location location) {
        this(id, type, name, config, trigger, location, ErrorHandling.NONE, null);
    }

    public WorkflowNode(String id, NodeType type, String name, NodeConfig config, boolean trigger, Location location,
                        ErrorHandling errorHandling) {
        this(id, type, name, config, trigger, location, errorHandling, null);
    }
}
