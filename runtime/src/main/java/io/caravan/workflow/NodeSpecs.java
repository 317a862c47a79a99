package io.caravan.workflow;

import static io.caravan.spec.Field.Kind.ANY;
import static io.caravan.spec.Field.Kind.CREDENTIAL_ID;
import static io.caravan.spec.Field.Kind.CRON;
import static io.caravan.spec.Field.Kind.EXPRESSION;
import static io.caravan.spec.Field.Kind.NODE_ID;
import static io.caravan.spec.Field.Kind.QUEUE_TYPE;
import static io.caravan.spec.Field.Kind.TEMPLATE_MAP;

import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Field;
import io.caravan.tls.Tls;
import io.caravan.webhook.WebhookAuth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place that says which keys a workflow, a node, an edge and each node type's config
 * accept. The validator, error messages and the generated reference read from here, and code
 * that reads a validated config names these fields instead of repeating their keys.
 */
public final class NodeSpecs {

    /** {@code $schema} names the JSON Schema an editor checks the file with (a JSON file cannot hold a modeline). */
    public static final List<String> WORKFLOW_KEYS = List.of("$schema", "id", "name", "description", "error_handling", "nodes",
            "edges");
    public static final List<String> NODE_KEYS = List.of("id", "type", "name", "config", "error_handling");
    /**
     * Node key: the id of the node that undoes this one (a saga's compensation) should a later
     * node fail unhandled. Its value is kept in the node's config under the same name.
     */
    public static final String COMPENSATE = "compensate";
    /** The node types that may name a compensation, and be one: the ones that do something outside. */
    public static final java.util.Set<NodeType> COMPENSABLE = java.util.EnumSet.of(NodeType.SEND_MESSAGE, NodeType.HTTP,
            NodeType.TRANSFORM, NodeType.LOG, NodeType.DELAY, NodeType.WORKFLOW, NodeType.RECEIVE_MESSAGE);
    /**
     * Other names a config key is written under: Gorax writes a condition's expression as
     * {@code config.condition} (its ConditionalActionConfig).
     */
    public static final Map<NodeType, Map<String, String>> CONFIG_ALIASES = Map.of(
            NodeType.CONDITION, Map.of("condition", "expression"));

    /** {@code label: "true" | "false"} is Gorax's way of writing {@code when} (its Edge.Label). */
    public static final List<String> EDGE_KEYS = List.of("from", "to", "when", "label");

    // fields that send_message and receive_message share
    public static final Field QUEUE_TYPE_FIELD = Field.of("queue_type", QUEUE_TYPE,
            "which broker: the queue_type of one of the brokers below").asRequired();
    public static final Field CREDENTIAL = Field.of("credential_id", CREDENTIAL_ID,
            "credential to connect with, from the credentials file; its type must be the broker's").asRequired()
            .withExample("kafka-local");

    /** receive_message's own fields. */
    public static final class Receive {
        public static final Field SOURCE = Field.string("source", "queue name or URL, topic or stream to read")
                .asRequired().withExample("orders");
        // no default filled in: a pull takes 10 (DEFAULT_PULL), a trigger sizes its batches and runs
        // in flight for speed unless the node says otherwise
        public static final Field MAX_MESSAGES = Field.wholeNumber("max_messages", "most messages taken per poll"
                + " (a pull: " + Receive.DEFAULT_PULL + "; a trigger: the broker's own batch size)").between(1, 1000)
                .withExample("10");
        public static final Field WAIT_TIME = Field.duration("wait_time", "how long a poll waits for messages")
                .withDefault(Duration.ofSeconds(5)).withExample("20s");
        public static final Field DELETE_AFTER = Field.bool("delete_after",
                "a pull: acknowledge (delete, commit) what it took; otherwise the messages are released").withDefault(false);
        public static final Field MAX_DEPTH = Field.wholeNumber("max_depth", "the hub is not ready (GET /ready answers"
                + " 503) while more messages than this wait in the source; unset: no limit").atLeast(0).withExample("10000");
        public static final Field MAX_DELIVERIES = Field.wholeNumber("max_deliveries", "a trigger: a message the"
                + " broker has delivered more times than this (a run that failed, a process that died) is"
                + " dead-lettered without running again; brokers that count deliveries only").between(1, 1000)
                .withDefault(5L).withExample("10");
        public static final Field ORDERING = Field.choice("ordering", io.caravan.spec.Capabilities.RunOrder.wireNames(),
                "a trigger: key: a message starts once the previous one with its key finished, keys run side by side"
                + " (the key: a Kafka record's key, a Redis entry's key_field, an SQS FIFO message group; Kafka records"
                + " without a key start in their partition's order, each once the previous one reached its send, Redis"
                + " entries without one run side by side); partition: one run at a time per partition (Redis: per"
                + " stream); none: runs start as messages arrive, side by side. Default: Kafka and Redis key, SQS key"
                + " on FIFO queues and none on standard ones, RabbitMQ none")
                .withExample("key");
        public static final Field CONCURRENCY = Field.object("concurrency", List.of(
                Field.template("key", "what the limit counts by, e.g. the tenant").asRequired()
                        .withExample("\"{{input.tenant_id}}\""),
                Field.wholeNumber("limit", "runs per key in flight at once").between(1, 100_000).asRequired()
                        .withExample("10")),
                "a trigger: at most limit runs per key in flight; a key's other messages wait, unacknowledged, and"
                + " other keys run (caravan_runs_waiting shows how many wait)").withExample("{key: \"{{input.tenant_id}}\", limit: 10}");
        public static final Field SCALE_TARGET = Field.wholeNumber("target", "messages waiting per instance: KEDA"
                + " runs one instance per target messages (Kafka: the group's lag; SQS and RabbitMQ: the queue's"
                + " length; Redis: the group's lag)").atLeast(1).asRequired().withExample("100");
        public static final Field SCALE = Field.object("scale", List.of(SCALE_TARGET),
                "a trigger: how the KEDA ScaledObject that caravan deploy kubernetes writes scales the instances on"
                + " this source; without it the target is max_depth, else " + Receive.DEFAULT_SCALE_TARGET)
                .withExample("{target: 500}");
        /** The scaling target of a source that sets neither scale.target nor max_depth. */
        public static final int DEFAULT_SCALE_TARGET = 100;
        /** Messages a pull takes when the node does not say (seeds/000). */
        public static final int DEFAULT_PULL = 10;

        private Receive() {
        }
    }

    /** send_message's own fields. */
    public static final class Send {
        public static final Field DESTINATION = Field.string("destination", "queue name or URL, topic or stream to send to")
                .asRequired().withExample("orders-processed");
        public static final Field MESSAGE = Field.template("message", "message body").asRequired()
                .withExample("'{\"order\": \"{{input.order_id}}\"}'");
        public static final Field ATTRIBUTES = Field.of("attributes", TEMPLATE_MAP,
                "message attributes (SQS), headers (Kafka, RabbitMQ) or entry fields (Redis)")
                .withExample("{tenant: \"{{input.tenant}}\"}");
        public static final Field DELAY = Field.template("delay", "deliver no earlier than this after the send: a"
                + " duration (30s, 5m) or a template giving one. SQS: DelaySeconds, at most 15 minutes, rounded up to"
                + " whole seconds; RabbitMQ: a holding queue per delay whose message TTL dead-letters into the"
                + " destination; Kafka and Redis cannot delay").withExample("30s");
        public static final Field PRIORITY = Field.template("priority", "0 (the default) to 9: RabbitMQ delivers"
                + " higher priorities first from a backed-up queue (queues Caravan declares get x-max-priority 10);"
                + " other brokers have no priority").withExample("\"{{input.urgent}}\"");

        private Send() {
        }
    }

    /** schedule's fields. */
    public static final class Schedule {
        public static final Field CRON_FIELD = Field.of("cron", CRON, "Quartz cron expression").withExample("\"0 0/5 * * * ?\"");
        public static final Field INTERVAL = Field.duration("interval", "time between runs").mustBePositive()
                .withExample("30s");
        public static final Field PAYLOAD = Field.of("payload", ANY, "the run's input").withExample("{report: daily}");
        public static final Field OVERLAP = Field.choice("overlap", List.of("skip", "allow"), "a tick that comes while"
                + " the previous run is still going: skip it (counted in caravan_schedule_skipped_total) or start"
                + " another run beside it").withDefault("skip");
        public static final Field TIMEZONE = Field.of("timezone", Field.Kind.TIME_ZONE, "the IANA time zone the cron"
                + " expression is read in (cron only; default: the machine's)").withExample("Europe/Berlin");

        private Schedule() {
        }
    }

    /** for_each's fields. */
    public static final class ForEach {
        public static final Field ITEMS = Field.template("items", "the array to loop over: a template that names"
                + " one, e.g. {{pull.messages}} or {{input.lines}} (a JSON array string is read as one)").asRequired()
                .withExample("\"{{pull.messages}}\"");
        public static final Field CONCURRENCY = Field.wholeNumber("concurrency", "items run at the same time"
                + " (1: one after another, in order); results keep the items' order either way").between(1, 64)
                .withDefault(1L);
        public static final Field MAX_ITEMS = Field.wholeNumber("max_items", "more items than this fail the run"
                + " (BAD_PAYLOAD, naming the node) before any item runs").between(1, 100_000).withDefault(1000L);

        private ForEach() {
        }
    }

    /** workflow's fields: the call of a sub-workflow. */
    public static final class Call {
        public static final Field WORKFLOW_ID = Field.string("workflow_id", "the id of the workflow to run: one"
                + " with a call trigger, or with any other (called, it starts after its trigger, with"
                + " {{trigger.body}} and {{input}} the input given)").asRequired().withExample("enrich-order");
        public static final Field INPUT = Field.template("input", "the called workflow's input (unset: this run's"
                + " input)").withExample("'{\"id\": \"{{input.order_id}}\"}'");
        public static final Field MODE = Field.choice("mode", List.of("sync", "async"), "sync: wait, and the called"
                + " workflow's output is this node's (its failure is this node's); async: start it and go on, the"
                + " output is {\"execution_id\"}").withDefault("sync");
        /** How deep calls may nest at run time (a cycle is refused before that, in validation). */
        public static final int MAX_DEPTH = 10;

        private Call() {
        }
    }

    /** join's fields. */
    public static final class Join {
        public static final Field WAIT = Field.choice("wait", List.of("all", "any"), "all: every branch must finish"
                + " (the first failure fails the join); any: the first branch to finish without failing is enough"
                + " (the join fails only when every branch failed)").withDefault("all");
        public static final Field TIMEOUT = Field.duration("timeout", "how long the join waits for its branches;"
                + " past it the join fails with TIMEOUT (unset: no limit)").mustBePositive().withExample("10s");

        private Join() {
        }
    }

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
    public record NodeSpec(NodeType type, String description, List<Field> fields, List<Group> groups,
                           Map<String, String> nodeLevel) {

        public List<String> fieldNames() {
            return fields.stream().map(Field::name).toList();
        }

        public List<String> nodeKeys() {
            List<String> keys = new ArrayList<>(NODE_KEYS);
            keys.addAll(nodeLevel.keySet());
            if (type == NodeType.RECEIVE_MESSAGE) {
                // only a receiving node has duplicates to skip; the validator checks it is the trigger
                keys.add("idempotency");
            }
            if (COMPENSABLE.contains(type)) {
                keys.add(COMPENSATE);
            }
            return keys;
        }
    }

    private static final Map<NodeType, NodeSpec> SPECS = new EnumMap<>(NodeType.class);

    static {
        spec(NodeType.WEBHOOK, "a trigger: POST /webhooks/<workflow-id> starts a run with the JSON body as input"
                + " and answers with its result; malformed JSON gets 400 with the parser's line and column",
                List.of(WebhookAuth.AUTH, WebhookAuth.ALLOWED_IPS, WebhookAuth.MAX_BODY));
        spec(NodeType.SCHEDULE, "a trigger: starts a run on a cron schedule or at a fixed interval",
                List.of(Schedule.CRON_FIELD, Schedule.TIMEZONE, Schedule.INTERVAL, Schedule.PAYLOAD, Schedule.OVERLAP),
                List.of(new Group(List.of("cron", "interval"), true)));
        spec(NodeType.CALL, "a trigger: the workflow runs when a workflow node calls it, with the input it"
                + " gives; a sync caller gets its output, or its failure", List.of());
        spec(NodeType.RECEIVE_MESSAGE, "as the first node, a trigger that runs once per message; later, a pull"
                + " that takes up to max_messages within wait_time", List.of(QUEUE_TYPE_FIELD, Receive.SOURCE,
                Receive.MAX_MESSAGES, Receive.WAIT_TIME, Receive.DELETE_AFTER, Receive.MAX_DEPTH, Receive.MAX_DELIVERIES,
                Receive.ORDERING, Receive.CONCURRENCY, Receive.SCALE,
                CREDENTIAL));
        spec(NodeType.SEND_MESSAGE, "sends a message; its output is the broker's message id",
                List.of(QUEUE_TYPE_FIELD, Send.DESTINATION, Send.MESSAGE, Send.ATTRIBUTES, Send.DELAY, Send.PRIORITY,
                        CREDENTIAL));
        spec(NodeType.HTTP, "calls an HTTP endpoint; its output is status, headers and response", List.of(
                Field.choice("method", List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"), "HTTP method")
                        .withDefault("GET"),
                Field.template("url", "URL to call").asRequired().withExample("https://api.example.com/users/{{input.id}}"),
                Field.of("headers", TEMPLATE_MAP, "request headers").withExample("{Authorization: \"Bearer {{input.token}}\"}"),
                Field.template("body", "request body").withExample("'{\"id\": \"{{input.id}}\"}'"),
                Field.duration("timeout", "how long to wait for the response").mustBePositive()
                        .withDefault(Duration.ofSeconds(30)),
                Tls.CA_FILE));
        SPECS.put(NodeType.CONDITION, new NodeSpec(NodeType.CONDITION, "tests an expression; edges with"
                + " when: true or when: false (or onTrue/onFalse) choose what runs next", List.of(
                Field.of("expression", EXPRESSION, "condition to test").asRequired()
                        .withExample("\"{{check.status}} == 200\""),
                Field.of("onTrue", NODE_ID, "node to run when the condition holds"),
                Field.of("onFalse", NODE_ID, "node to run when it does not")),
                List.of(), orderedMap("condition", "expression", "onTrue", "onTrue", "onFalse", "onFalse")));
        spec(NodeType.TRANSFORM, "builds a new value from earlier outputs", List.of(
                Field.template("template", "the node's output").asRequired()
                        .withExample("'{\"name\": \"{{input.first}} {{input.last}}\"}'")));
        spec(NodeType.LOG, "writes a line to the log", List.of(
                Field.template("message", "text to log").asRequired().withExample("\"order {{input.id}} in\""),
                Field.choice("level", List.of("trace", "debug", "info", "warn", "error"), "log level")
                        .withDefault("info")));
        spec(NodeType.REPLY, "answers the message that started the run (a receive_message trigger): sends"
                + " message and attributes to its reply_to with its correlation_id (RabbitMQ: the AMQP properties, so"
                + " direct reply-to works; Kafka, SQS, Redis: headers, attributes or fields of those names), on the"
                + " trigger's broker and credential, and waits for the broker to confirm. A message without reply_to"
                + " is not answered; the output says so: {replied, reply_to, correlation_id, message_id, reason}",
                List.of(Field.template("message", "the answer's body").asRequired().withExample("'{\"total\": {{sum.total}}}'"),
                        Field.of("attributes", TEMPLATE_MAP, "the answer's headers, attributes or fields")
                                .withExample("{status: ok}")));
        spec(NodeType.DELAY, "waits before the next node", List.of(
                Field.duration("duration", "how long to wait").asRequired().mustBePositive()
                        .atMost(Duration.ofHours(1)).withExample("2s")));
        spec(NodeType.FOR_EACH, "runs the nodes its edges labelled each lead to once per item, with"
                + " {{<id>.item}} and {{<id>.index}}; edges without a label (or labelled done) run after the loop."
                + " Output: {\"count\", \"results\"}, results holding the last body node's output per item",
                List.of(ForEach.ITEMS, ForEach.CONCURRENCY, ForEach.MAX_ITEMS));
        spec(NodeType.WORKFLOW, "runs another workflow (one with a call trigger) with an input; calls nest at"
                + " most " + Call.MAX_DEPTH + " deep and may not form a cycle", List.of(Call.WORKFLOW_ID, Call.INPUT,
                Call.MODE));
        spec(NodeType.PARALLEL, "runs the branches its outgoing edges start at the same time; every branch ends"
                + " at the one join node they share", List.of());
        spec(NodeType.JOIN, "waits for the branches of the parallel node before it. Output: an object from each"
                + " branch's last node id to that node's output", List.of(Join.WAIT, Join.TIMEOUT));
    }

    private NodeSpecs() {
    }

    public static NodeSpec of(NodeType type) {
        return SPECS.get(type);
    }

    /**
     * The spec of a node type once its broker is known: a send or receive node also takes the
     * broker's own fields, and a broker may let another field stand in for {@code destination}.
     * {@code broker} is null when the node has none or its queue_type is unknown.
     */
    public static NodeSpec of(NodeType type, BrokerSpec broker) {
        NodeSpec base = SPECS.get(type);
        if (broker == null || (type != NodeType.SEND_MESSAGE && type != NodeType.RECEIVE_MESSAGE)) {
            return base;
        }
        List<Field> fields = new ArrayList<>(base.fields());
        List<Group> groups = new ArrayList<>(base.groups());
        fields.addAll(type == NodeType.SEND_MESSAGE ? broker.sendFields() : broker.receiveFields());
        if (!broker.destinationAlternatives().isEmpty()) {
            // send: an exchange instead of a destination; receive: a queue of the workflow's own, bound to it
            String address = type == NodeType.SEND_MESSAGE ? Send.DESTINATION.name() : Receive.SOURCE.name();
            List<String> either = new ArrayList<>(List.of(address));
            broker.destinationAlternatives().stream().sorted().forEach(either::add);
            fields.replaceAll(f -> f.name().equals(address) ? f.optional() : f);
            groups.add(new Group(either, false));
        }
        return new NodeSpec(type, base.description(), fields, groups, base.nodeLevel());
    }

    private static void spec(NodeType type, String description, List<Field> fields) {
        spec(type, description, fields, List.of());
    }

    private static void spec(NodeType type, String description, List<Field> fields, List<Group> groups) {
        SPECS.put(type, new NodeSpec(type, description, fields, groups, Map.of()));
    }

    private static Map<String, String> orderedMap(String... pairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put(pairs[i], pairs[i + 1]);
        }
        return map;
    }
}
