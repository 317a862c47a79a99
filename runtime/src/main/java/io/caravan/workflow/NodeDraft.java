package io.caravan.workflow;

import io.caravan.source.Location;
import java.util.List;
import java.util.Map;

/**
 * A node as far as validation got: its config values so far and the templates it holds. Kept
 * apart from WorkflowNode because a draft may be incomplete (its type may be unknown).
 */
record NodeDraft(String id, NodeType type, String name, Location location, Location configLocation,
                 Map<String, Object> values, Map<String, Location> locations, List<FieldReader.TemplateSite> sites,
                 ErrorHandling errorHandling, Idempotency idempotency) {

    boolean is(NodeType t) {
        return type == t;
    }
}
