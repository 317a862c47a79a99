package io.caravan.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.caravan.Json;
import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.idempotency.IdempotencyStores;
import io.caravan.runtime.WorkflowSet;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Durations;
import io.caravan.spec.Field;
import io.caravan.spec.Sizes;
import io.caravan.workflow.Edge;
import io.caravan.workflow.ErrorHandlingSpecs;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON Schemas (draft 2020-12) of the workflow format and of the credentials file, generated from
 * the same specs the validator and the reference read ({@link NodeSpecs}, each broker's
 * {@link BrokerSpec}, {@link ErrorHandlingSpecs}, {@link IdempotencyStores}), so an editor with a
 * YAML or JSON language server completes and checks what the validator accepts.
 *
 * <p>What a schema cannot say stays with {@code caravan validate}: that edges name real nodes, that
 * templates name earlier nodes, that credentials exist and are of the broker's type, that a cron
 * expression parses. A workflow the validator accepts always passes the schema (a test checks the
 * examples and the compiler's inputs); the schema stops a typo, a wrong kind or a missing field in
 * the editor.
 *
 * <p>Node types are chosen with {@code if}/{@code then} on {@code type} (and a send or receive
 * node's broker fields on {@code queue_type}), closed with {@code unevaluatedProperties}, which
 * the YAML language server of VS Code and IntelliJ's JSON Schema support both read.
 */
public final class JsonSchemas {

    /** Where the committed copies live, relative to the repository. */
    public static final String WORKFLOW_FILE = "schema/workflow.schema.json";
    public static final String CREDENTIALS_FILE = "schema/credentials.schema.json";

    private static final String DRAFT = "https://json-schema.org/draft/2020-12/schema";
    private static final String ID_BASE = "https://caravan.dev/schema/";
    // the validator's id rule (WorkflowValidator.ID) and duration and size forms (Durations, Sizes) as ECMA-262 regexes
    private static final String ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";
    private static final String DURATION_PATTERN = "^(\\d+h)?(\\d+m)?(\\d+s)?(\\d+ms)?$";
    private static final String SIZE_PATTERN = "^\\d+\\s*(B|KB|kB|KiB|MB|MiB|GB|GiB)?$";
    private static final String ENV_PATTERN = "\\$\\{[A-Za-z_][A-Za-z0-9_]*}";

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final YAMLMapper YAML = new YAMLMapper();

    private JsonSchemas() {
    }

    /** The schema of a workflow file, as printed JSON. */
    public static String workflowText() {
        return print(workflow());
    }

    /** The schema of the credentials file, as printed JSON. */
    public static String credentialsText() {
        return print(credentials());
    }

    private static String print(ObjectNode schema) {
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(schema) + "\n";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode workflow() {
        List<BrokerSpec> brokers = brokers();
        ObjectNode root = F.objectNode();
        root.put("$schema", DRAFT).put("$id", ID_BASE + "workflow.schema.json")
                .put("title", "Caravan workflow")
                .put("description", "A Caravan workflow: nodes and the edges between them. Generated from Caravan's"
                        + " field specs by `caravan schema`; `caravan validate` checks what a schema cannot (edges,"
                        + " templates, credentials). See docs/reference.md.");
        root.put("type", "object");
        ObjectNode props = root.putObject("properties");
        props.putObject("$schema").put("type", "string")
                .put("description", "the JSON Schema an editor checks this file with; Caravan ignores it");
        props.putObject("id").put("type", "string").put("pattern", ID_PATTERN)
                .put("description", "the workflow's id: letters, digits, _, ., -; the Camel route id");
        props.putObject("name").put("type", "string").put("description", "display name (default: the id)");
        props.putObject("description").put("type", "string").put("description", "free text");
        props.putObject("error_handling").put("$ref", "#/$defs/error_handling")
                .put("description", "retry, circuit breaker and dead letter for every node; a node's own overrides it");
        props.putObject("nodes").put("type", "array").put("minItems", 1).put("description", "the nodes; the first"
                + " is the trigger").putObject("items").put("$ref", "#/$defs/node");
        props.putObject("edges").put("type", "array").put("description", "what runs after what")
                .putObject("items").put("$ref", "#/$defs/edge");
        root.set("required", strings(List.of("id", "nodes")));
        root.put("additionalProperties", false);
        checkCovered("workflow", NodeSpecs.WORKFLOW_KEYS, props);

        ObjectNode defs = root.putObject("$defs");
        defs.set("node", node());
        for (NodeType type : NodeType.values()) {
            defs.set("node." + type.wireName(), nodeOfType(type, brokers));
        }
        defs.set("edge", edge());
        defs.set("error_handling", errorHandling());
        defs.set("idempotency", idempotency());
        return root;
    }

    public static ObjectNode credentials() {
        ObjectNode root = F.objectNode();
        root.put("$schema", DRAFT).put("$id", ID_BASE + "credentials.schema.json")
                .put("title", "Caravan credentials")
                .put("description", "config/credentials.yaml: credential id -> {type, fields}. A string value may"
                        + " hold ${NAME}, read from the environment variable NAME at start. Generated by"
                        + " `caravan schema credentials`.");
        root.put("type", "object");
        root.putObject("propertyNames").put("pattern", ID_PATTERN);
        root.putObject("additionalProperties").put("$ref", "#/$defs/credential");
        ObjectNode defs = root.putObject("$defs");
        List<CredentialSpec> specs = WorkflowSet.credentialSpecs();
        ObjectNode credential = defs.putObject("credential");
        credential.put("type", "object");
        credential.putObject("properties").putObject("type")
                .put("description", "the kind of credential; decides its other fields")
                .set("enum", strings(specs.stream().map(CredentialSpec::type).toList()));
        credential.set("required", strings(List.of("type")));
        ArrayNode allOf = credential.putArray("allOf");
        for (CredentialSpec spec : specs) {
            ObjectNode then = F.objectNode().put("description", spec.description());
            ObjectNode props = then.putObject("properties");
            List<String> required = new ArrayList<>();
            for (Field f : spec.fields()) {
                props.set(f.name(), credentialField(f));
                if (f.required()) {
                    required.add(f.name());
                }
            }
            if (!required.isEmpty()) {
                then.set("required", strings(required));
            }
            allOf.add(when("type", spec.type(), then));
        }
        credential.put("unevaluatedProperties", false);
        return root;
    }

    /** A credential's field: strings may name environment variables, a list may be one such string. */
    private static ObjectNode credentialField(Field f) {
        ObjectNode s = F.objectNode();
        switch (f.kind()) {
            case STRING_LIST -> {
                ArrayNode anyOf = s.putArray("anyOf");
                anyOf.addObject().put("type", "array").putObject("items").put("type", "string");
                anyOf.addObject().put("type", "string").put("description", "comma-separated, e.g. from ${NAME}");
            }
            case BOOLEAN -> {
                ArrayNode anyOf = s.putArray("anyOf");
                anyOf.addObject().put("type", "boolean");
                anyOf.addObject().put("type", "string").put("pattern", "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|"
                        + ENV_PATTERN + ")$");
            }
            case CHOICE -> {
                ArrayNode anyOf = s.putArray("anyOf");
                anyOf.addObject().put("type", "string").set("enum", strings(f.choices()));
                anyOf.addObject().put("type", "string").put("pattern", ENV_PATTERN);
            }
            default -> s.put("type", "string");
        }
        describe(s, f);
        return s;
    }

    /** Every node: the keys all types share; the type's own schema says the rest. */
    private static ObjectNode node() {
        ObjectNode s = F.objectNode().put("type", "object");
        ObjectNode props = s.putObject("properties");
        props.putObject("id").put("type", "string").put("pattern", ID_PATTERN).put("description", "the node's id,"
                + " unique in the workflow; templates name its output {{<id>.<field>}}");
        props.putObject("type").put("description", "what the node does").set("enum", strings(NodeType.wireNames()));
        props.putObject("name").put("type", "string").put("description", "display name");
        props.putObject("config").put("type", "object").put("description", "the type's fields");
        props.putObject("error_handling").put("$ref", "#/$defs/error_handling")
                .put("description", "overrides the workflow's error handling for this node, part by part");
        s.set("required", strings(List.of("id", "type")));
        ArrayNode allOf = s.putArray("allOf");
        for (NodeType type : NodeType.values()) {
            allOf.add(when("type", type.wireName(), F.objectNode().put("$ref", "#/$defs/node." + type.wireName())));
        }
        s.put("unevaluatedProperties", false);
        return s;
    }

    /** One node type: its config, and the node-level keys only it takes. */
    private static ObjectNode nodeOfType(NodeType type, List<BrokerSpec> brokers) {
        NodeSpecs.NodeSpec spec = NodeSpecs.of(type);
        ObjectNode s = F.objectNode().put("description", spec.description());
        ObjectNode props = s.putObject("properties");
        ObjectNode config = config(type, spec, brokers);
        props.set("config", config);
        if (NodeSpecs.COMPENSABLE.contains(type)) {
            props.putObject(NodeSpecs.COMPENSATE).put("type", "string").put("pattern", ID_PATTERN).put("description",
                    "the node that undoes this one should a later node fail for good (a saga)");
        }
        if (type == NodeType.RECEIVE_MESSAGE) {
            props.putObject("idempotency").put("$ref", "#/$defs/idempotency")
                    .put("description", "on the trigger: skip copies of a message already processed");
        }
        // keys Gorax writes on the node itself, standing for config fields (a condition's condition, onTrue, onFalse)
        spec.nodeLevel().forEach((key, fieldName) -> spec.fields().stream().filter(f -> f.name().equals(fieldName))
                .findFirst().ifPresent(f -> props.set(key, field(f.named(key).optional(), brokers))));
        // a required config field that a node-level key may stand in for: one of the two must be written
        List<String> standIns = new ArrayList<>();
        spec.nodeLevel().forEach((key, fieldName) -> {
            if (spec.fields().stream().anyMatch(f -> f.name().equals(fieldName) && f.required())) {
                standIns.add(key);
            }
        });
        if (!standIns.isEmpty()) {
            ArrayNode anyOf = s.putArray("anyOf");
            standIns.forEach(k -> anyOf.addObject().set("required", strings(List.of(k))));
            ObjectNode inConfig = anyOf.addObject();
            inConfig.set("required", strings(List.of("config")));
            inConfig.putObject("properties").set("config", configRequiring(type, spec));
        } else if (spec.fields().stream().anyMatch(Field::required)) {
            s.set("required", strings(List.of("config")));
        }
        return s;
    }

    /** A config with its required fields, under their aliases too (a condition's config.condition). */
    private static ObjectNode configRequiring(NodeType type, NodeSpecs.NodeSpec spec) {
        Map<String, String> aliases = NodeSpecs.CONFIG_ALIASES.getOrDefault(type, Map.of());
        ObjectNode s = F.objectNode();
        ArrayNode allOf = s.putArray("allOf");
        for (Field f : spec.fields()) {
            if (!f.required()) {
                continue;
            }
            ArrayNode anyOf = allOf.addObject().putArray("anyOf");
            anyOf.addObject().set("required", strings(List.of(f.name())));
            aliases.forEach((alias, name) -> {
                if (name.equals(f.name())) {
                    anyOf.addObject().set("required", strings(List.of(alias)));
                }
            });
        }
        return s;
    }

    private static ObjectNode config(NodeType type, NodeSpecs.NodeSpec spec, List<BrokerSpec> brokers) {
        ObjectNode s = F.objectNode().put("type", "object");
        boolean perBroker = type == NodeType.SEND_MESSAGE || type == NodeType.RECEIVE_MESSAGE;
        boolean nodeLevelStandIns = !spec.nodeLevel().isEmpty();
        ObjectNode props = s.putObject("properties");
        List<String> required = new ArrayList<>();
        for (Field f : spec.fields()) {
            props.set(f.name(), field(f, brokers));
            // a broker may let another field stand in for destination/source: those say so per broker
            boolean perBrokerRequired = perBroker && (f.name().equals(NodeSpecs.Send.DESTINATION.name())
                    || f.name().equals(NodeSpecs.Receive.SOURCE.name()));
            if (f.required() && !perBrokerRequired && !nodeLevelStandIns) {
                required.add(f.name());
            }
        }
        NodeSpecs.CONFIG_ALIASES.getOrDefault(type, Map.of()).forEach((alias, name) -> spec.fields().stream()
                .filter(f -> f.name().equals(name)).findFirst()
                .ifPresent(f -> props.set(alias, field(f.named(alias).optional(), brokers))));
        if (!required.isEmpty()) {
            s.set("required", strings(required));
        }
        ArrayNode allOf = F.arrayNode();
        groups(spec.groups(), allOf);
        if (perBroker) {
            for (BrokerSpec broker : brokers) {
                NodeSpecs.NodeSpec withBroker = NodeSpecs.of(type, broker);
                ObjectNode then = F.objectNode();
                ObjectNode brokerProps = then.putObject("properties");
                List<String> brokerRequired = new ArrayList<>();
                for (Field f : withBroker.fields()) {
                    if (spec.fields().stream().noneMatch(base -> base.name().equals(f.name()))) {
                        brokerProps.set(f.name(), field(f, brokers));
                    }
                    if (f.required() && !required.contains(f.name())) {
                        brokerRequired.add(f.name());
                    }
                }
                if (!brokerRequired.isEmpty()) {
                    then.set("required", strings(brokerRequired));
                }
                ArrayNode brokerGroups = F.arrayNode();
                groups(withBroker.groups().subList(spec.groups().size(), withBroker.groups().size()), brokerGroups);
                if (!brokerGroups.isEmpty()) {
                    then.set("allOf", brokerGroups);
                }
                allOf.add(when(NodeSpecs.QUEUE_TYPE_FIELD.name(), broker.queueType(), then));
            }
        }
        if (!allOf.isEmpty()) {
            s.set("allOf", allOf);
        }
        s.put(perBroker ? "unevaluatedProperties" : "additionalProperties", false);
        return s;
    }

    private static void groups(List<NodeSpecs.Group> groups, ArrayNode allOf) {
        for (NodeSpecs.Group g : groups) {
            ObjectNode group = allOf.addObject();
            ArrayNode choices = group.putArray(g.exactlyOne() ? "oneOf" : "anyOf");
            g.names().forEach(n -> choices.addObject().set("required", strings(List.of(n))));
        }
    }

    private static ObjectNode edge() {
        ObjectNode s = F.objectNode().put("type", "object");
        ObjectNode props = s.putObject("properties");
        props.putObject("from").put("type", "string").put("description", "the node before");
        props.putObject("to").put("type", "string").put("description", "the node after");
        props.putObject("when").put("type", "boolean").put("description", "leaving a condition: the branch taken"
                + " when the expression is true or false");
        List<String> labels = new ArrayList<>(List.of("true", "false"));
        labels.addAll(List.of(Edge.EACH, Edge.DONE, Edge.ERROR));
        props.putObject("label").put("description", "\"true\"/\"false\" leaving a condition (Gorax's way of writing"
                + " when), \"each\" or \"done\" leaving a for_each, \"error\": taken when the node fails")
                .set("enum", strings(labels));
        checkCovered("edge", NodeSpecs.EDGE_KEYS, props);
        s.set("required", strings(List.of("from", "to")));
        s.put("additionalProperties", false);
        return s;
    }

    private static ObjectNode errorHandling() {
        ObjectNode s = F.objectNode().put("type", "object");
        ObjectNode props = s.putObject("properties");
        props.set("retry", object(ErrorHandlingSpecs.RETRY, "retry a failed node with a growing wait"));
        props.set("circuit_breaker", object(ErrorHandlingSpecs.CIRCUIT_BREAKER, "stop calling what keeps failing"));
        ObjectNode deadLetter = object(ErrorHandlingSpecs.DEAD_LETTER, "where a message that failed for good goes,"
                + " with the reason in caravan-* headers");
        // native: true uses the source broker's own DLQ and names no destination; otherwise all three are required
        List<String> destination = List.of("queue_type", "destination", "credential_id");
        ObjectNode isNative = F.objectNode();
        isNative.putObject("properties").putObject("native").put("const", true);
        isNative.set("required", strings(List.of("native")));
        deadLetter.set("if", isNative);
        ObjectNode none = F.objectNode();
        ArrayNode anyOf = none.putObject("not").putArray("anyOf");
        destination.forEach(k -> anyOf.addObject().set("required", strings(List.of(k))));
        deadLetter.set("then", none);
        deadLetter.putObject("else").set("required", strings(destination));
        props.set("dead_letter", deadLetter);
        checkCovered("error_handling", ErrorHandlingSpecs.PARTS, props);
        s.put("additionalProperties", false);
        return s;
    }

    private static ObjectNode idempotency() {
        ObjectNode s = object(IdempotencyStores.allFields(), "skip copies of a message already processed");
        ArrayNode allOf = s.putArray("allOf");
        // a store's fields only with that store (memory is the default when store is not written)
        for (IdempotencyStores.Store store : IdempotencyStores.ALL) {
            List<String> others = IdempotencyStores.allFields().stream().map(Field::name)
                    .filter(n -> !store.takes(n) && IdempotencyStores.COMMON.stream().noneMatch(c -> c.name().equals(n)))
                    .toList();
            if (others.isEmpty()) {
                continue;
            }
            ObjectNode cond = F.objectNode();
            ObjectNode storeIs = cond.putObject("properties").putObject("store");
            storeIs.put("const", store.name());
            if (!store.name().equals(IdempotencyStores.STORE.defaultValue())) {
                cond.set("required", strings(List.of("store")));
            }
            ObjectNode then = F.objectNode();
            ArrayNode not = then.putObject("not").putArray("anyOf");
            others.forEach(n -> not.addObject().set("required", strings(List.of(n))));
            allOf.addObject().<ObjectNode>set("if", cond).set("then", then);
        }
        return s;
    }

    /** An object of fields, closed. */
    private static ObjectNode object(List<Field> fields, String description) {
        ObjectNode s = F.objectNode().put("type", "object").put("description", description);
        ObjectNode props = s.putObject("properties");
        List<String> required = new ArrayList<>();
        List<BrokerSpec> brokers = brokers();
        for (Field f : fields) {
            props.set(f.name(), field(f, brokers));
            if (f.required()) {
                required.add(f.name());
            }
        }
        if (!required.isEmpty()) {
            s.set("required", strings(required));
        }
        s.put("additionalProperties", false);
        return s;
    }

    /** One field: its kind as JSON types, its range or choices, its description, default and example. */
    static ObjectNode field(Field f, List<BrokerSpec> brokers) {
        ObjectNode s = switch (f.kind()) {
            case STRING, TEMPLATE, EXPRESSION, NODE_ID, CRON, TIME_ZONE, CREDENTIAL_ID -> F.objectNode().put("type", "string");
            case WHOLE_NUMBER -> range(F.objectNode().put("type", "integer"), f);
            case NUMBER -> range(F.objectNode().put("type", "number"), f);
            case BOOLEAN -> F.objectNode().put("type", "boolean");
            case DURATION -> F.objectNode().put("type", "string").put("pattern", DURATION_PATTERN).put("minLength", 2);
            case TEMPLATE_MAP -> {
                ObjectNode o = F.objectNode().put("type", "object");
                o.putObject("additionalProperties").put("type", "string");
                yield o;
            }
            case CHOICE -> {
                ObjectNode o = F.objectNode().put("type", "string");
                o.set("enum", strings(f.choices()));
                yield o;
            }
            case CHOICE_LIST -> {
                ObjectNode o = F.objectNode().put("type", "array").put("uniqueItems", true);
                o.putObject("items").put("type", "string").set("enum", strings(f.choices()));
                yield o;
            }
            case STRING_LIST -> {
                ObjectNode o = F.objectNode().put("type", "array");
                o.putObject("items").put("type", "string");
                yield o;
            }
            case QUEUE_TYPE -> {
                ObjectNode o = F.objectNode().put("type", "string");
                o.set("enum", strings(brokers.stream().map(BrokerSpec::queueType).toList()));
                yield o;
            }
            case SIZE -> {
                ObjectNode o = range(F.objectNode(), f);
                o.set("type", strings(List.of("integer", "string")));
                o.put("pattern", SIZE_PATTERN);
                yield o;
            }
            case OBJECT -> object(f.fields(), f.description());
            case ANY -> F.objectNode();
        };
        describe(s, f);
        return s;
    }

    private static ObjectNode range(ObjectNode s, Field f) {
        if (f.min() != null) {
            s.put("minimum", f.min());
        }
        if (f.max() != null) {
            s.put("maximum", f.max());
        }
        return s;
    }

    /** Description (with the kind and range the reference shows), default and example. */
    private static void describe(ObjectNode s, Field f) {
        StringBuilder text = new StringBuilder(f.description());
        if (!f.kind().shown().isEmpty() && f.kind() != Field.Kind.OBJECT) {
            text.append(" (").append(f.kind().shown());
            if (!f.range().isEmpty()) {
                text.append(", ").append(f.range());
            }
            text.append(")");
        }
        if (f.secret()) {
            text.append(". A secret: write ${NAME} to read it from the environment; never shown");
        }
        s.put("description", text.toString());
        if (f.defaultValue() != null) {
            s.set("default", jsonValue(f.kind(), f.defaultValue()));
        }
        if (f.example() != null) {
            s.putArray("examples").add(example(f.example()));
        }
        if (f.secret()) {
            s.put("writeOnly", true);
        }
    }

    /** A default as it would be written in a workflow. */
    private static JsonNode jsonValue(Field.Kind kind, Object value) {
        if (value instanceof Duration d) {
            return F.textNode(Durations.format(d));
        }
        if (kind == Field.Kind.SIZE && value instanceof Long bytes) {
            return F.textNode(Sizes.format(bytes));
        }
        return Json.MAPPER.valueToTree(value);
    }

    /** An example as the specs write it, in YAML flow style; read as YAML so "10" is the number 10. */
    private static JsonNode example(String text) {
        try {
            JsonNode value = YAML.readTree(text);
            return value == null || value.isMissingNode() ? F.textNode(text) : value;
        } catch (java.io.IOException e) {
            return F.textNode(text);
        }
    }

    /** {@code {"if": {key: const value}, "then": then}}. */
    private static ObjectNode when(String key, String value, ObjectNode then) {
        ObjectNode cond = F.objectNode();
        cond.putObject("properties").putObject(key).put("const", value);
        cond.set("required", strings(List.of(key)));
        ObjectNode out = F.objectNode();
        out.set("if", cond);
        out.set("then", then);
        return out;
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode a = F.arrayNode();
        values.forEach(a::add);
        return a;
    }

    private static List<BrokerSpec> brokers() {
        return Bindings.ALL.stream().map(Binding::spec).toList();
    }

    /** The schema must describe every key the validator accepts: a key added there and not here fails. */
    private static void checkCovered(String what, List<String> keys, ObjectNode props) {
        for (String key : keys) {
            if (!props.has(key)) {
                throw new IllegalStateException("the schema does not describe " + what + " key '" + key + "'");
            }
        }
    }
}
