package io.caravan.reference;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.idempotency.IdempotencyStores;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.spec.Durations;
import io.caravan.spec.Field;
import io.caravan.workflow.ErrorHandlingSpecs;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.webhook.WebhookAuth;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The reference of everything a user writes (node types, brokers, credentials, error handling,
 * idempotency), generated from the specs the validator reads, so it cannot drift from them:
 * {@code caravan reference} prints it, {@code docs/reference.md} is its committed copy, and a
 * test fails when the two differ.
 */
public final class Reference {

    /** Where the committed copy lives, relative to the repository. */
    public static final String FILE = "docs/reference.md";

    private static final java.util.Map<String, String> WORKFLOW_KEYS = java.util.Map.of(
            "$schema", "the JSON Schema an editor checks the file with (`schema/workflow.schema.json`); Caravan"
                    + " ignores it. YAML files say it in a `# yaml-language-server: $schema=...` comment instead",
            "id", "required; letters, digits, `_`, `.`, `-`; the Camel route id",
            "name", "display name (default: the id); the route description",
            "description", "free text",
            "error_handling", "retry, circuit breaker and dead letter for every node (see Error handling)",
            "nodes", "required; each `id`, `type`, `name`, `config`, `error_handling`; an action node that reaches"
                    + " outside (" + NodeSpecs.COMPENSABLE.stream().map(t -> "`" + t.wireName() + "`").sorted()
                    .collect(Collectors.joining(", ")) + ") may name `compensate: <node-id>`, the node that undoes it"
                    + " should a later node fail for good (a saga; that node then has no edges)",
            "edges", "each `from`, `to`, and `when` (`true`/`false`) after a condition");

    private Reference() {
    }

    public static String markdown() {
        StringBuilder md = new StringBuilder();
        List<BrokerSpec> brokers = Bindings.ALL.stream().map(Binding::spec).toList();
        md.append("# Reference\n\n")
                .append("Generated from Caravan's field specs by `bin/caravan reference` (the validator reads the same\n")
                .append("specs); `ReferenceTest` fails when this file and the specs differ. Do not edit by hand.\n\n")
                .append("Kinds: a *template* may hold `{{...}}` references to the trigger's data and earlier nodes'\n")
                .append("outputs; a *duration* is written `500ms`, `5s`, `2m`, `1h` or `1m30s`. A *secret* value is never\n")
                .append("shown: not in logs, errors, compiled YAML, JMX or metrics.\n\n");

        md.append("## Workflow\n\n").append("| key | what |\n|---|---|\n");
        for (String key : NodeSpecs.WORKFLOW_KEYS) {
            String what = WORKFLOW_KEYS.get(key);
            if (what == null) {
                throw new IllegalStateException("the reference does not describe workflow key '" + key + "'");
            }
            md.append("| `").append(key).append("` | ").append(what).append(" |\n");
        }
        md.append("\n");

        md.append("## Node types\n\n");
        for (NodeType type : NodeType.values()) {
            NodeSpecs.NodeSpec spec = NodeSpecs.of(type);
            md.append("### `").append(type.wireName()).append("`\n\n").append(capitalized(spec.description())).append(".");
            for (NodeSpecs.Group g : spec.groups()) {
                md.append(" Give ").append(g.exactlyOne() ? "exactly one" : "at least one").append(" of ")
                        .append(g.names().stream().map(n -> "`" + n + "`").collect(Collectors.joining(", "))).append(".");
            }
            if (type == NodeType.SEND_MESSAGE || type == NodeType.RECEIVE_MESSAGE) {
                md.append(" Each broker adds fields of its own (see Brokers).");
            }
            md.append("\n\n");
            fields(md, spec.fields());
        }

        md.append("## Brokers\n\n")
                .append("A send or receive node's `queue_type` is one of: ")
                .append(brokers.stream().map(b -> "`" + b.queueType() + "`").collect(Collectors.joining(", ")))
                .append(". Each declares what it can do; the core asks these capabilities and never names a broker.")
                .append(" A send_message's `delay` or `priority` on a broker that cannot keep it is a validation error.\n\n");
        for (BrokerSpec b : brokers) {
            Capabilities c = b.capabilities();
            md.append("### `").append(b.queueType()).append("`: ").append(b.description()).append("\n\n")
                    .append("| capability | |\n|---|---|\n")
                    .append("| native dead letter (`dead_letter: {native: true}`) | ")
                    .append(c.hasNativeDeadLetter() ? c.nativeDeadLetter() : "none").append(" |\n")
                    .append("| dead letter when the workflow names none | ")
                    .append(c.defaultDeadLetter() == null ? "none: a failed message stays on the broker"
                            : "`" + c.defaultDeadLetter() + "` on the source's broker and credential").append(" |\n")
                    .append("| order kept | ").append(c.ordering().shown()).append(" |\n")
                    .append("| trigger `ordering` | ").append(c.runOrders().stream().map(o -> "`" + o.wireName() + "`")
                            .collect(Collectors.joining(", "))).append(" (default `").append(c.defaultRunOrder().wireName())
                    .append("`) |\n")
                    .append("| delivery count kept by the broker | ").append(yes(c.deliveryCount())).append(" |\n")
                    .append("| delayed delivery (`delay`) | ").append(c.delay() ? "up to " + io.caravan.spec.Durations.format(c.maxDelay()) : "no").append(" |\n")
                    .append("| priority (`priority`) | ").append(yes(c.priority())).append(" |\n")
                    .append("| FIFO groups | ").append(yes(c.fifo())).append(" |\n\n");
            if (!b.sendFields().isEmpty()) {
                md.append("`send_message` also takes").append(b.destinationAlternatives().isEmpty() ? ""
                        : " (" + b.destinationAlternatives().stream().sorted().map(n -> "`" + n + "`")
                        .collect(Collectors.joining(", ")) + " may stand in for `destination`)").append(":\n\n");
                fields(md, b.sendFields());
            }
            if (!b.receiveFields().isEmpty()) {
                md.append("`receive_message` also takes:\n\n");
                fields(md, b.receiveFields());
            }
            md.append("Credential type `").append(b.credential().type()).append("`: ")
                    .append(b.credential().description()).append(".\n\n");
            fields(md, b.credential().fields());
        }

        md.append("### Webhook credentials\n\n").append("Credential type `").append(WebhookAuth.CREDENTIAL.type())
                .append("`: ").append(WebhookAuth.CREDENTIAL.description()).append(".\n\n");
        fields(md, WebhookAuth.CREDENTIAL.fields());

        md.append("## Error handling\n\n")
                .append("`error_handling` on a workflow applies to every node; on a node it overrides the workflow's,")
                .append(" part by part.\n\n");
        md.append("### `retry`\n\n");
        fields(md, ErrorHandlingSpecs.RETRY);
        md.append("### `circuit_breaker`\n\n");
        fields(md, ErrorHandlingSpecs.CIRCUIT_BREAKER);
        md.append("### `dead_letter`\n\n");
        fields(md, ErrorHandlingSpecs.DEAD_LETTER);

        md.append("## Idempotency\n\n")
                .append("An `idempotency` block on a receive_message trigger skips copies of a message already processed.\n\n");
        fields(md, IdempotencyStores.COMMON);
        for (IdempotencyStores.Store store : IdempotencyStores.ALL) {
            md.append("Store `").append(store.name()).append("`: ").append(store.description()).append(".\n\n");
            fields(md, store.fields());
        }
        return md.toString();
    }

    private static void fields(StringBuilder md, List<Field> fields) {
        if (fields.isEmpty()) {
            md.append("No config.\n\n");
            return;
        }
        md.append("| field | kind | required | default | allowed | description | example |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (Field f : flattened(fields, "")) {
            md.append("| `").append(f.name()).append("`").append(f.secret() ? " (secret)" : "")
                    .append(" | ").append(f.kind().shown())
                    .append(" | ").append(f.required() ? "yes" : "")
                    .append(" | ").append(f.defaultValue() == null ? "" : "`" + (f.kind() == Field.Kind.SIZE
                            ? io.caravan.spec.Sizes.format((Long) f.defaultValue()) : shown(f.defaultValue())) + "`")
                    .append(" | ").append(allowed(f))
                    .append(" | ").append(cell(f.description()))
                    .append(" | ").append(f.example() == null ? "" : "`" + cell(f.example()) + "`")
                    .append(" |\n");
        }
        md.append("\n");
    }

    /** An object's fields follow it, named {@code object.field}. */
    private static List<Field> flattened(List<Field> fields, String prefix) {
        List<Field> out = new java.util.ArrayList<>();
        for (Field f : fields) {
            out.add(f.named(prefix + f.name()));
            if (f.kind() == Field.Kind.OBJECT) {
                out.addAll(flattened(f.fields(), prefix + f.name() + "."));
            }
        }
        return out;
    }

    private static String allowed(Field f) {
        if (!f.choices().isEmpty()) {
            return f.choices().stream().map(c -> "`" + c + "`").collect(Collectors.joining(", "));
        }
        return f.range();
    }

    private static String shown(Object value) {
        if (value instanceof Duration d) {
            return Durations.format(d);
        }
        if (value instanceof List<?> list) {
            return "[" + list.stream().map(String::valueOf).collect(Collectors.joining(", ")) + "]";
        }
        return String.valueOf(value);
    }

    /** Text safe in a Markdown table cell. */
    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
