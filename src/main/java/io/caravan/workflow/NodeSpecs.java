package io.caravan.workflow;

import static io.caravan.workflow.FieldSpec.Kind.ANY;
import static io.caravan.workflow.FieldSpec.Kind.BOOLEAN;
import static io.caravan.workflow.FieldSpec.Kind.CREDENTIAL_ID;
import static io.caravan.workflow.FieldSpec.Kind.CRON;
import static io.caravan.workflow.FieldSpec.Kind.DURATION;
import static io.caravan.workflow.FieldSpec.Kind.EXPRESSION;
import static io.caravan.workflow.FieldSpec.Kind.NODE_ID;
import static io.caravan.workflow.FieldSpec.Kind.QUEUE_TYPE;
import static io.caravan.workflow.FieldSpec.Kind.STRING;
import static io.caravan.workflow.FieldSpec.Kind.TEMPLATE;
import static io.caravan.workflow.FieldSpec.Kind.TEMPLATE_MAP;
import static io.caravan.workflow.FieldSpec.Kind.WHOLE_NUMBER;

import io.caravan.binding.BindingField;
import io.caravan.binding.BindingSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that says which keys a workflow, a node, an edge and each node type's config
 * accept. The validator, error messages and any generated docs read from here.
 */
public final class NodeSpecs {

    public static final List<String> WORKFLOW_KEYS = List.of("id", "name", "description", "error_handling", "nodes", "edges");
    public static final List<String> NODE_KEYS = List.of("id", "type", "name", "config", "error_handling");
    public static final List<String> EDGE_KEYS = List.of("from", "to", "when");

    /**
     * A group of fields of which one (or exactly one) must be given, e.g. a schedule's
     * {@code cron} or {@code interval}.
     */
    public record Group(List<String> names, boolean exactlyOne) {
    }

    /**
     * What one node type accepts. {@code nodeLevel} maps keys that the seed format writes on the
     * node itself (a condition's {@code condition}, {@code onTrue}, {@code onFalse}) to the config
     * field they stand for.
     */
    public record NodeSpec(NodeType type, List<FieldSpec> fields, List<Group> groups, Map<String, String> nodeLevel) {

        public List<String> fieldNames() {
            return fields.stream().map(FieldSpec::name).toList();
        }

        public List<String> nodeKeys() {
            List<String> keys = new ArrayList<>(NODE_KEYS);
            keys.addAll(nodeLevel.keySet());
            if (type == NodeType.RECEIVE_MESSAGE) {
                // only a receiving node has duplicates to skip; the validator checks it is the trigger
                keys.add("idempotency");
            }
            return keys;
        }
    }

    private static final Map<NodeType, NodeSpec> SPECS = new EnumMap<>(NodeType.class);

    static {
        spec(NodeType.WEBHOOK, List.of());
        spec(NodeType.SCHEDULE, List.of(
                        FieldSpec.of("cron", CRON, "Quartz cron expression, e.g. \"0 0/5 * * * ?\""),
                        FieldSpec.of("interval", DURATION, "time between runs, e.g. 30s").mustBePositive(),
                        FieldSpec.of("payload", ANY, "the run's input")),
                List.of(new Group(List.of("cron", "interval"), true)));
        spec(NodeType.RECEIVE_MESSAGE, List.of(
                FieldSpec.of("queue_type", QUEUE_TYPE, "which broker binding reads the messages").asRequired(),
                FieldSpec.of("source", STRING, "queue URL, topic name or queue name").asRequired(),
                // no default filled in: a pull takes 10 (BindingSupport.maxMessages), a trigger
                // sizes its batches and runs in flight for speed unless the node says otherwise
                FieldSpec.of("max_messages", WHOLE_NUMBER, "most messages taken per poll").between(1, 1000),
                FieldSpec.of("wait_time", DURATION, "how long a poll waits for messages")
                        .withDefault(Duration.ofSeconds(5)),
                FieldSpec.of("delete_after", BOOLEAN, "acknowledge messages once received").withDefault(false),
                FieldSpec.of("max_depth", WHOLE_NUMBER, "the hub is not ready (GET /ready answers 503) while more"
                        + " messages than this wait in the source; unset: no limit").atLeast(0),
                FieldSpec.of("credential_id", CREDENTIAL_ID, "credential to connect with").asRequired()));
        spec(NodeType.SEND_MESSAGE, List.of(
                FieldSpec.of("queue_type", QUEUE_TYPE, "which broker binding sends the message").asRequired(),
                FieldSpec.of("destination", STRING, "queue URL, topic name or queue name").asRequired(),
                FieldSpec.of("message", TEMPLATE, "message body").asRequired(),
                FieldSpec.of("attributes", TEMPLATE_MAP, "message attributes or headers"),
                FieldSpec.of("credential_id", CREDENTIAL_ID, "credential to connect with").asRequired()));
        spec(NodeType.HTTP, List.of(
                FieldSpec.choice("method", List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"), "HTTP method")
                        .withDefault("GET"),
                FieldSpec.of("url", TEMPLATE, "URL to call").asRequired(),
                FieldSpec.of("headers", TEMPLATE_MAP, "request headers"),
                FieldSpec.of("body", TEMPLATE, "request body"),
                FieldSpec.of("timeout", DURATION, "how long to wait for the response").mustBePositive()
                        .withDefault(Duration.ofSeconds(30))));
        SPECS.put(NodeType.CONDITION, new NodeSpec(NodeType.CONDITION, List.of(
                FieldSpec.of("expression", EXPRESSION, "condition to test").asRequired(),
                FieldSpec.of("onTrue", NODE_ID, "node to run when the condition holds"),
                FieldSpec.of("onFalse", NODE_ID, "node to run when it does not")),
                List.of(), orderedMap("condition", "expression", "onTrue", "onTrue", "onFalse", "onFalse")));
        spec(NodeType.TRANSFORM, List.of(
                FieldSpec.of("template", TEMPLATE, "the node's output").asRequired()));
        spec(NodeType.LOG, List.of(
                FieldSpec.of("message", TEMPLATE, "text to log").asRequired(),
                FieldSpec.choice("level", List.of("trace", "debug", "info", "warn", "error"), "log level")
                        .withDefault("info")));
        spec(NodeType.DELAY, List.of(
                FieldSpec.of("duration", DURATION, "how long to wait").asRequired().mustBePositive()
                        .atMost(Duration.ofHours(1))));
    }

    private NodeSpecs() {
    }

    public static NodeSpec of(NodeType type) {
        return SPECS.get(type);
    }

    /**
     * The spec of a node type once its binding is known: a send or receive node also takes the
     * binding's own fields, and a binding may let another field stand in for {@code destination}.
     * {@code binding} is null when the node has none or its queue_type is unknown.
     */
    public static NodeSpec of(NodeType type, BindingSpec binding) {
        NodeSpec base = SPECS.get(type);
        if (binding == null || (type != NodeType.SEND_MESSAGE && type != NodeType.RECEIVE_MESSAGE)) {
            return base;
        }
        List<FieldSpec> fields = new ArrayList<>(base.fields());
        List<Group> groups = new ArrayList<>(base.groups());
        List<BindingField> extra = type == NodeType.SEND_MESSAGE ? binding.sendFields() : binding.receiveFields();
        for (BindingField f : extra) {
            FieldSpec spec = f.isWholeNumber() ? FieldSpec.of(f.name(), WHOLE_NUMBER, f.description()).between(f.min(), f.max())
                    : FieldSpec.of(f.name(), f.template() ? TEMPLATE : STRING, f.description());
            fields.add(f.required() ? spec.asRequired() : spec);
        }
        if (type == NodeType.SEND_MESSAGE && !binding.destinationAlternatives().isEmpty()) {
            List<String> either = new ArrayList<>(List.of("destination"));
            binding.destinationAlternatives().stream().sorted().forEach(either::add);
            fields.replaceAll(f -> f.name().equals("destination") ? FieldSpec.of(f.name(), STRING, f.description()) : f);
            groups.add(new Group(either, false));
        }
        return new NodeSpec(type, fields, groups, base.nodeLevel());
    }

    private static void spec(NodeType type, List<FieldSpec> fields) {
        spec(type, fields, List.of());
    }

    private static void spec(NodeType type, List<FieldSpec> fields, List<Group> groups) {
        SPECS.put(type, new NodeSpec(type, fields, groups, Map.of()));
    }

    private static Map<String, String> orderedMap(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
