package io.caravan.workflow;

import java.time.Duration;
import java.util.List;

/**
 * One config field of a node type: its kind, whether it is required, its default, its range and
 * what it means. {@link NodeSpecs} lists them; the validator reads nothing else.
 */
public record FieldSpec(String name, Kind kind, boolean required, Object defaultValue, String description,
                        List<String> choices, Long min, Long max, Duration maxDuration, boolean positive) {

    /** How a field's value is written and what Java value it becomes. */
    public enum Kind {
        /** A plain string. */
        STRING,
        /** A string with {@code {{...}}} references, rendered per run; kept as written. */
        TEMPLATE,
        /** A condition expression; its references are checked like a template's. */
        EXPRESSION,
        /** A Long. */
        WHOLE_NUMBER,
        BOOLEAN,
        /** Written {@code 500ms}, {@code 5s}, {@code 1m30s}; becomes a java.time.Duration. */
        DURATION,
        /** An object of template strings; becomes a Map<String, String>. */
        TEMPLATE_MAP,
        /** A string from {@code choices}. */
        CHOICE,
        /** The id of another node in the same workflow. */
        NODE_ID,
        /** A Quartz cron expression. */
        CRON,
        /** One of the bindings' queue types. */
        QUEUE_TYPE,
        /** The id of a credential whose type the node's binding takes. */
        CREDENTIAL_ID,
        /** Any JSON value, kept as plain Java (Map, List, String, Number, Boolean). */
        ANY
    }

    public FieldSpec {
        choices = choices == null ? List.of() : List.copyOf(choices);
    }

    public static FieldSpec of(String name, Kind kind, String description) {
        return new FieldSpec(name, kind, false, null, description, List.of(), null, null, null, false);
    }

    public static FieldSpec choice(String name, List<String> choices, String description) {
        return new FieldSpec(name, Kind.CHOICE, false, null, description, choices, null, null, null, false);
    }

    public FieldSpec asRequired() {
        return new FieldSpec(name, kind, true, defaultValue, description, choices, min, max, maxDuration, positive);
    }

    public FieldSpec withDefault(Object value) {
        return new FieldSpec(name, kind, required, value, description, choices, min, max, maxDuration, positive);
    }

    public FieldSpec between(long low, long high) {
        return new FieldSpec(name, kind, required, defaultValue, description, choices, low, high, maxDuration, positive);
    }

    /** For whole numbers: no upper bound. */
    public FieldSpec atLeast(long low) {
        return new FieldSpec(name, kind, required, defaultValue, description, choices, low, null, maxDuration, positive);
    }

    /** For durations: must be more than zero. */
    public FieldSpec mustBePositive() {
        return new FieldSpec(name, kind, required, defaultValue, description, choices, min, max, maxDuration, true);
    }

    public FieldSpec atMost(Duration limit) {
        return new FieldSpec(name, kind, required, defaultValue, description, choices, min, max, limit, positive);
    }

    /** Whether the value holds {@code {{...}}} references that must name earlier nodes. */
    public boolean hasReferences() {
        return kind == Kind.TEMPLATE || kind == Kind.TEMPLATE_MAP || kind == Kind.EXPRESSION;
    }
}
