package io.caravan.workflow;

import io.caravan.idempotency.IdempotencyStores;
import io.caravan.idempotency.IdempotencyStores.Store;
import io.caravan.source.Location;
import io.caravan.source.Problems;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import io.caravan.spec.Field;
import io.caravan.template.Reference;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
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
 * place for every field that does not fit. The fields and which store takes which come from
 * {@link IdempotencyStores}. Where the block may stand (a receive_message trigger) needs the
 * graph, so the validator checks that afterwards.
 */
final class IdempotencyReader {

    private static final Set<String> KEY_ROOTS = Set.of(RunContext.INPUT, RunContext.TRIGGER, RunContext.NOW);
    // the table name is written into SQL statements, so only a plain identifier is accepted, short
    // enough for <table>_claims to stay within PostgreSQL's 63
    private static final Pattern TABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,55}");
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
        List<Field> fields = IdempotencyStores.allFields();
        List<String> valid = fields.stream().map(Field::name).toList();
        for (SourceMap.Entry e : map.entries()) {
            if (!valid.contains(e.key())) {
                problems.add(e.keyLocation(), "unknown key '" + e.key() + "' in idempotency; valid keys: "
                        + String.join(", ", valid));
            }
        }
        int before = problems.size();
        Map<String, Object> values = values(map, fields);
        Store store = IdempotencyStores.store((String) values.get(IdempotencyStores.STORE.name())).orElse(null);
        if (store == null) {
            return null;
        }
        for (SourceMap.Entry e : map.entries()) {
            List<String> owners = owners(e.key());
            if (!owners.isEmpty() && !store.takes(e.key())) {
                problems.add(e.keyLocation(), "'" + e.key() + "' applies to store " + String.join(" or ", owners)
                        + ", not " + store.name());
            }
        }
        if (store.urlScheme() != null && map.get(IdempotencyStores.URL.name()).isEmpty()) {
            problems.add(map.location(), "idempotency with store " + store.name() + " is missing required key 'url'");
        }
        checkKey(map, (String) values.get(IdempotencyStores.KEY.name()));
        checkUrl(map, store, (String) values.get(IdempotencyStores.URL.name()));
        checkPassword(map, values.get(IdempotencyStores.PASSWORD.name()));
        checkTable(map, store, (String) values.get(IdempotencyStores.TABLE.name()));
        if (problems.size() > before) {
            return null;
        }
        return new Idempotency((String) values.get(IdempotencyStores.KEY.name()), store.name(),
                (int) (long) (Long) values.get(IdempotencyStores.MAX_ENTRIES.name()),
                (Duration) own(store, values, IdempotencyStores.TTL), (String) own(store, values, IdempotencyStores.URL),
                (String) own(store, values, IdempotencyStores.USER), (String) own(store, values, IdempotencyStores.PASSWORD),
                (String) own(store, values, IdempotencyStores.TABLE), (Duration) own(store, values, IdempotencyStores.LEASE));
    }

    /** A store-specific value, or null when the chosen store does not take the field. */
    private static Object own(Store store, Map<String, Object> values, Field field) {
        return store.takes(field.name()) ? values.get(field.name()) : null;
    }

    private Map<String, Object> values(SourceMap map, List<Field> fields) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (Field f : fields) {
            Optional<SourceNode> written = map.get(f.name());
            if (written.isPresent()) {
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
        Location at = map.get(IdempotencyStores.KEY.name()).orElseThrow().location();
        List<Reference> refs = Template.parse(key).references();
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

    private void checkUrl(SourceMap map, Store store, String url) {
        if (url == null || ENV.matcher(url).matches() || store.urlScheme() == null) {
            return;
        }
        // the url is a secret (it may hold a password), so it is not repeated
        if (!url.startsWith(store.urlScheme())) {
            problems.add(map.get(IdempotencyStores.URL.name()).orElseThrow().location(), "url for store " + store.name()
                    + " must start with " + store.urlScheme() + " or be an environment reference like ${IDEMPOTENCY_URL}");
        } else if (holdsPassword(url)) {
            problems.add(map.get(IdempotencyStores.URL.name()).orElseThrow().location(), "url for store " + store.name()
                    + " holds a password: write the url as an environment reference like ${IDEMPOTENCY_URL}, so that no"
                    + " secret is in the workflow file or in the routes caravan compile prints");
        }
    }

    /** Whether a store url carries a password: user info ({@code user:pw@}) or a password parameter. */
    private static boolean holdsPassword(String url) {
        return url.contains("@") || url.toLowerCase(java.util.Locale.ROOT).contains("password");
    }

    private void checkPassword(SourceMap map, Object password) {
        if (password instanceof String text && !ENV.matcher(text).matches()) {
            problems.add(map.get(IdempotencyStores.PASSWORD.name()).orElseThrow().location(), "password must be an"
                    + " environment reference like ${DB_PASSWORD}, so that no secret is in the workflow file or in the"
                    + " routes caravan compile prints");
        }
    }

    private void checkTable(SourceMap map, Store store, String table) {
        if (table != null && store.takes(IdempotencyStores.TABLE.name()) && !TABLE.matcher(table).matches()) {
            problems.add(map.get(IdempotencyStores.TABLE.name()).orElseThrow().location(), "table must be a plain SQL"
                    + " name (letters, digits and '_', not starting with a digit, at most 56), got \"" + table + "\"");
        }
    }

    /** The stores that take a store-specific field; empty for key and store. */
    private static List<String> owners(String field) {
        return IdempotencyStores.ALL.stream().filter(s -> s.takes(field)).map(Store::name).toList();
    }
}
