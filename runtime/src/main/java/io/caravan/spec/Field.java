package io.caravan.spec;

import java.time.Duration;
import java.util.List;

/**
 * One field a user writes: a node's config key, an error-handling or idempotency setting, a
 * broker's extra node field or a credential field. It says everything Caravan knows about the
 * field in one place: what it is called, its kind, whether it is required, its default, its range
 * or choices, what it means, an example, and whether it is a secret. The validator, the docs
 * reference and secret redaction read it; nothing else describes a field.
 *
 * <p>Fields are built with the factory of their kind and refined with the withers, e.g.
 * {@code Field.wholeNumber("max_attempts", "attempts in all").between(1, 100).withDefault(3L)}.
 *
 * @param min         whole numbers and numbers: the smallest value allowed, or null
 * @param max         whole numbers: the largest value allowed, or null
 * @param maxDuration durations: the longest allowed, or null
 * @param positive    durations: must be more than zero
 * @param secret      never printed: not in logs, errors, compiled YAML, JMX or metrics
 * @param fields      objects: the fields the object takes
 */
public record Field(String name, Kind kind, boolean required, Object defaultValue, String description,
                    String example, List<String> choices, Long min, Long max, Duration maxDuration,
                    boolean positive, boolean secret, List<Field> fields) {

    /** How a value is written and the Java value it becomes once read. */
    public enum Kind {
        /** A plain string. */
        STRING("string"),
        /** A string with {@code {{...}}} references, rendered per run; kept as written. */
        TEMPLATE("template"),
        /** A condition expression; its references are checked like a template's. */
        EXPRESSION("expression"),
        /** A whole number; becomes a Long. */
        WHOLE_NUMBER("whole number"),
        /** A number, whole or not; becomes a Double. */
        NUMBER("number"),
        BOOLEAN("true/false"),
        /** Written {@code 500ms}, {@code 5s}, {@code 1m30s}; becomes a java.time.Duration. */
        DURATION("duration"),
        /** An object of template strings; becomes a Map<String, String>. */
        TEMPLATE_MAP("object of templates"),
        /** A string from {@code choices}. */
        CHOICE("one of"),
        /** A list of strings from {@code choices}; becomes a List<String>. */
        CHOICE_LIST("list of"),
        /** A list of strings, or one comma-separated string; becomes a List<String>. */
        STRING_LIST("list of strings"),
        /** The id of another node in the same workflow. */
        NODE_ID("node id"),
        /** A Quartz cron expression. */
        CRON("cron expression"),
        /** An IANA time zone name, e.g. {@code Europe/Berlin} or {@code UTC}. */
        TIME_ZONE("IANA time zone"),
        /** One of the brokers' queue types. */
        QUEUE_TYPE("queue type"),
        /** The id of a credential whose type the node's broker takes. */
        CREDENTIAL_ID("credential id"),
        /** An amount of bytes, written {@code 1048576}, {@code 512KiB}, {@code 1MiB}; becomes a Long. */
        SIZE("size"),
        /** An object of the fields in {@code fields}; becomes a Map<String, Object> with defaults. */
        OBJECT("object"),
        /** Any JSON value, kept as plain Java (Map, List, String, Number, Boolean). */
        ANY("any value");

        private final String shown;

        Kind(String shown) {
            this.shown = shown;
        }

        /** How the reference names the kind. */
        public String shown() {
            return shown;
        }
    }

    public Field {
        choices = choices == null ? List.of() : List.copyOf(choices);
        fields = fields == null ? List.of() : List.copyOf(fields);
    }

    public static Field of(String name, Kind kind, String description) {
        return new Field(name, kind, false, null, description, null, List.of(), null, null, null, false, false, List.of());
    }

    public static Field string(String name, String description) {
        return of(name, Kind.STRING, description);
    }

    public static Field template(String name, String description) {
        return of(name, Kind.TEMPLATE, description);
    }

    public static Field wholeNumber(String name, String description) {
        return of(name, Kind.WHOLE_NUMBER, description);
    }

    public static Field bool(String name, String description) {
        return of(name, Kind.BOOLEAN, description);
    }

    public static Field duration(String name, String description) {
        return of(name, Kind.DURATION, description);
    }

    public static Field choice(String name, List<String> choices, String description) {
        return new Field(name, Kind.CHOICE, false, null, description, null, choices, null, null, null, false, false, List.of());
    }

    /** An object whose keys are {@code fields}. */
    public static Field object(String name, List<Field> fields, String description) {
        return new Field(name, Kind.OBJECT, false, null, description, null, List.of(), null, null, null, false, false, fields);
    }

    public static Field size(String name, String description) {
        return of(name, Kind.SIZE, description);
    }

    public static Field choiceList(String name, List<String> choices, String description) {
        return new Field(name, Kind.CHOICE_LIST, false, null, description, null, choices, null, null, null, false, false, List.of());
    }

    public Field asRequired() {
        return new Field(name, kind, true, defaultValue, description, example, choices, min, max, maxDuration, positive, secret, fields);
    }

    /** The value used when the field is not written; of the Java type the kind becomes. */
    public Field withDefault(Object value) {
        return new Field(name, kind, required, value, description, example, choices, min, max, maxDuration, positive, secret, fields);
    }

    /** An example value as a user would write it (in YAML flow style). */
    public Field withExample(String text) {
        return new Field(name, kind, required, defaultValue, description, text, choices, min, max, maxDuration, positive, secret, fields);
    }

    public Field between(long low, long high) {
        return new Field(name, kind, required, defaultValue, description, example, choices, low, high, maxDuration, positive, secret, fields);
    }

    /** For whole numbers and numbers: no upper bound. */
    public Field atLeast(long low) {
        return new Field(name, kind, required, defaultValue, description, example, choices, low, null, maxDuration, positive, secret, fields);
    }

    /** For durations: must be more than zero. */
    public Field mustBePositive() {
        return new Field(name, kind, required, defaultValue, description, example, choices, min, max, maxDuration, true, secret, fields);
    }

    public Field atMost(Duration limit) {
        return new Field(name, kind, required, defaultValue, description, example, choices, min, max, limit, positive, secret, fields);
    }

    /** A secret: its value is never shown, and errors about it say "another value" instead. */
    public Field asSecret() {
        return new Field(name, kind, required, defaultValue, description, example, choices, min, max, maxDuration, positive, true, fields);
    }

    /** A copy under another name (a field that means the same in two places). */
    public Field named(String other) {
        return new Field(other, kind, required, defaultValue, description, example, choices, min, max, maxDuration, positive, secret, fields);
    }

    /** A copy that is not required (a field another field may stand in for). */
    public Field optional() {
        return new Field(name, kind, false, defaultValue, description, example, choices, min, max, maxDuration, positive, secret, fields);
    }

    /** Whether the value holds {@code {{...}}} references that must name earlier nodes. */
    public boolean hasReferences() {
        return kind == Kind.TEMPLATE || kind == Kind.TEMPLATE_MAP || kind == Kind.EXPRESSION;
    }

    /** "at least 1", "between 1 and 100", "at most 1h", or empty when nothing limits the value. */
    public String range() {
        if (min != null && max != null) {
            return "between " + min + " and " + max;
        }
        if (min != null) {
            return "at least " + min;
        }
        if (maxDuration != null) {
            return (positive ? "more than 0, " : "") + "at most " + Durations.format(maxDuration);
        }
        return positive ? "more than 0" : "";
    }

    /** Without the default and example values of a secret field, so a record print shows none. */
    @Override
    public String toString() {
        return "Field[" + name + ", " + kind + (required ? ", required" : "") + (secret ? ", secret" : "")
                + (secret || defaultValue == null ? "" : ", default=" + defaultValue) + "]";
    }
}
