package io.caravan.idempotency;

import io.caravan.spec.Field;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The fields of an {@code idempotency} block and the stores that remember processed keys, each
 * with the fields that mean something for it. The validator and the reference read these; the
 * compiler builds the store's Camel repository.
 */
public final class IdempotencyStores {

    public static final String MEMORY = "memory";
    public static final String REDIS = "redis";
    public static final String JDBC = "jdbc";

    /** One store: its name in {@code store:}, what it is, and the fields only it takes. */
    public record Store(String name, String description, List<Field> fields, String urlScheme) {

        public boolean takes(String field) {
            return fields.stream().anyMatch(f -> f.name().equals(field));
        }
    }

    public static final String DEFAULT_TABLE = "caravan_processed";

    public static final Field KEY = Field.template("key", "template over input, trigger and now naming one logical"
            + " message").asRequired().withExample("\"{{input.order_id}}\"");
    public static final Field STORE = Field.choice("store", List.of(MEMORY, REDIS, JDBC), "where processed keys are kept")
            .withDefault(MEMORY);
    public static final Field MAX_ENTRIES = Field.wholeNumber("max_entries", "keys kept, least recently used"
            + " dropped first").between(1, 10_000_000).withDefault(10_000L);
    public static final Field TTL = Field.duration("ttl", "how long a key is remembered").mustBePositive()
            .withDefault(Duration.ofHours(24));
    public static final Field LEASE = Field.duration("lease", "how long an instance's claim on the key of a run in"
            + " flight lasts unless renewed (it is renewed every third of it while the run goes on); when an instance"
            + " dies, its keys are free again after this").mustBePositive().withDefault(Duration.ofSeconds(30));
    // secret: a Redis URL may hold a password (redis://:secret@host)
    public static final Field URL = Field.string("url", "redis://host:port or jdbc:postgresql://host:port/db, or an"
            + " environment reference like ${IDEMPOTENCY_URL}").asSecret().withExample("${REDIS_URL}");
    public static final Field USER = Field.string("user", "database user").withExample("caravan");
    public static final Field PASSWORD = Field.string("password", "database password").asSecret()
            .withExample("${DB_PASSWORD}");
    public static final Field TABLE = Field.string("table", "table of processed keys, created when missing with"
            + " <table>_claims beside it for the keys of runs in flight")
            .withDefault(DEFAULT_TABLE);

    /** key and store: the fields every store takes. */
    public static final List<Field> COMMON = List.of(KEY, STORE);

    public static final List<Store> ALL = List.of(
            new Store(MEMORY, "in this process only: instances do not see each other's keys, and a restart forgets them",
                    List.of(MAX_ENTRIES), null),
            new Store(REDIS, "a Redis shared by every instance of the workflow", List.of(TTL, LEASE, URL), "redis"),
            new Store(JDBC, "a database table shared by every instance of the workflow",
                    List.of(URL, USER, PASSWORD, TABLE, LEASE), "jdbc:"));

    private IdempotencyStores() {
    }

    public static Optional<Store> store(String name) {
        return ALL.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    /** Every field of the block once: key, store, then each store's own. */
    public static List<Field> allFields() {
        List<Field> out = new java.util.ArrayList<>(COMMON);
        for (Store s : ALL) {
            for (Field f : s.fields()) {
                if (out.stream().noneMatch(o -> o.name().equals(f.name()))) {
                    out.add(f);
                }
            }
        }
        return List.copyOf(out);
    }
}
