package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceScalar;
import io.caravan.source.Problems;
import static io.caravan.workflow.FieldSpec.Kind.DURATION;
import static io.caravan.workflow.FieldSpec.Kind.STRING;
import static io.caravan.workflow.FieldSpec.Kind.TEMPLATE;
import static io.caravan.workflow.FieldSpec.Kind.WHOLE_NUMBER;

import io.caravan.template.Reference;
import io.caravan.template.RunContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a node's {@code idempotency} block into {@link Idempotency}, recording a problem with its
 * place for every field that does not fit. Where the block may stand (a receive_message trigger)
 * needs the graph, so the validator checks that afterwards.
 */
final class IdempotencyReader {

    static final List<String> STORES = List.of(Idempotency.MEMORY, Idempotency.REDIS, Idempotency.JDBC);
    static final String DEFAULT_TABLE = "caravan_processed";

    static final List<FieldSpec> FIELDS = List.of(
            FieldSpec.of("key", TEMPLATE, "template over input, trigger and now naming one logical message").asRequired(),
            FieldSpec.choice("store", STORES, "where processed keys are kept").withDefault(Idempotency.MEMORY),
            FieldSpec.of("max_entries", WHOLE_NUMBER, "memory: keys kept, least recently used dropped first")
                    .between(1, 10_000_000).withDefault(10_000L),
            FieldSpec.of("ttl", DURATION, "redis: how long a key is remembered").mustBePositive()
                    .withDefault(Duration.ofHours(24)),
            FieldSpec.of("url", STRING, "redis://host:port or jdbc:postgresql://host:port/db, or ${ENV}"),
            FieldSpec.of("user", STRING, "jdbc: database user"),
            FieldSpec.of("password", STRING, "jdbc: database password (a secret, never shown)"),
            FieldSpec.of("table", STRING, "jdbc: table of processed keys, created when missing")
                    .withDefault(DEFAULT_TABLE));

    /** The fields that mean something for each store (key and store mean something for all). */
    private static final Map<String, List<String>> STORE_FIELDS = Map.of(
            Idempotency.MEMORY, List.of("max_entries"),
            Idempotency.REDIS, List.of("ttl", "url"),
            Idempotency.JDBC, List.of("url", "user", "password", "table"));
    private static final Set<String> KEY_ROOTS = Set.of(RunContext.INPUT, RunContext.TRIGGER, RunContext.NOW);
    // the table name is written into SQL statements, so only a plain identifier is accepted
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
    private static final Pattern ENV = Pattern.compile("\\$\\{[A-Za-z_][A-Za-z0-9_]*}");

    private final Problems problems;
    private final FieldReader reader;

    IdempotencyReader(Problems problems, FieldReader reader) {
        this.problems = problems;
        this.reader = reader;
    }

    /** The block's settings, or null when it is not an object or a field is wrong (problems recorded). */
    Idempotency read(SourceNode node) {
        if (!(node instanceof SourceMap map)) {
            problems.add(node.location(), "idempotency must be an object with key and store, got " + node.kindName());
            return null;
        }
        List<String> valid = FIELDS.stream().map(FieldSpec::name).toList();
        for (SourceMap.Entry e : map.entries()) {
            if (!valid.contains(e.key())) {
                problems.add(e.keyLocation(), "unknown key '" + e.key() + "' in idempotency; valid keys: "
                        + String.join(", ", valid));
            }
        }
        int before = problems.size();
        Map<String, Object> values = values(map);
        String store = (String) values.get("store");
        if (store == null) {
            return null;
        }
        for (SourceMap.Entry e : map.entries()) {
            String owner = owner(e.key());
            if (owner != null && !STORE_FIELDS.get(store).contains(e.key())) {
                problems.add(e.keyLocation(), "'" + e.key() + "' applies to store " + owner + ", not " + store);
            }
        }
        if (!store.equals(Idempotency.MEMORY) && map.get("url").isEmpty()) {
            problems.add(map.location(), "idempotency with store " + store + " is missing required key 'url'");
        }
        checkKey(map, (String) values.get("key"));
        checkUrl(map, store, (String) values.get("url"));
        checkTable(map, store, (String) values.get("table"));
        if (problems.size() > before) {
            return null;
        }
        boolean jdbc = store.equals(Idempotency.JDBC);
        return new Idempotency((String) values.get("key"), store, (int) (long) (Long) values.get("max_entries"),
                store.equals(Idempotency.REDIS) ? (Duration) values.get("ttl") : null, (String) values.get("url"),
                jdbc ? (String) values.get("user") : null, jdbc ? (String) values.get("password") : null,
                jdbc ? (String) values.get("table") : null);
    }

    private Map<String, Object> values(SourceMap map) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (FieldSpec f : FIELDS) {
            Optional<SourceNode> written = map.get(f.name());
            if (written.isPresent() && f.name().equals("password")) {
                // read here rather than by FieldReader, whose messages show the value written
                if (written.get() instanceof SourceScalar s && s.value() instanceof String text) {
                    values.put(f.name(), text);
                } else {
                    problems.add(written.get().location(), "password must be a string");
                }
            } else if (written.isPresent()) {
                reader.read(f, written.get(), new ArrayList<>()).ifPresent(v -> values.put(f.name(), v));
            } else if (f.required()) {
                problems.add(map.location(), "idempotency is missing required key '" + f.name() + "'");
            }
            if (!values.containsKey(f.name()) && f.defaultValue() != null && written.isEmpty()) {
                values.put(f.name(), f.defaultValue());
            }
        }
        return values;
    }

    /** The key is computed before any other node runs, so it may only read what the trigger gave. */
    private void checkKey(SourceMap map, String key) {
        if (key == null) {
            return;
        }
        Location at = map.get("key").orElseThrow().location();
        List<Reference> refs = io.caravan.template.Template.parse(key).references();
        if (refs.isEmpty()) {
            problems.add(at, "idempotency key \"" + key + "\" has no {{...}} reference: every message after the first"
                    + " would be a duplicate; use e.g. {{input.order_id}} or {{trigger.id}}");
        }
        for (Reference ref : refs) {
            if (!KEY_ROOTS.contains(ref.root())) {
                problems.add(at, "idempotency key may only read input, trigger or now (it is computed before any"
                        + " other node runs), not {{" + ref.text() + "}}");
            }
        }
    }

    private void checkUrl(SourceMap map, String store, String url) {
        if (url == null || ENV.matcher(url).matches() || store.equals(Idempotency.MEMORY)) {
            return;
        }
        String scheme = store.equals(Idempotency.REDIS) ? "redis://" : "jdbc:";
        if (!url.startsWith(scheme)) {
            // the url may hold a password (redis://:secret@host), so it is not repeated
            problems.add(map.get("url").orElseThrow().location(), "url for store " + store + " must start with "
                    + scheme + " or be an environment reference like ${IDEMPOTENCY_URL}");
        }
    }

    private void checkTable(SourceMap map, String store, String table) {
        if (table != null && store.equals(Idempotency.JDBC) && !TABLE.matcher(table).matches()) {
            problems.add(map.get("table").orElseThrow().location(), "table must be a plain SQL name (letters, digits"
                    + " and '_', not starting with a digit, at most 63), got \"" + table + "\"");
        }
    }

    /** The store a store-specific field belongs to, or null for key and store. */
    private static String owner(String field) {
        if (field.equals("url")) {
            return "redis or jdbc";
        }
        return STORE_FIELDS.entrySet().stream().filter(e -> e.getValue().contains(field)).map(Map.Entry::getKey)
                .findFirst().orElse(null);
    }
}
