package io.caravan.binding;

/**
 * A node config field a binding adds, e.g. Kafka's {@code key}. Template fields are rendered per
 * message. A field with a {@code min} is a whole number in {@code [min, max]} (e.g. Kafka's
 * {@code consumers}); the validator checks the range with the field's line and column.
 */
public record BindingField(String name, boolean template, boolean required, String description, Long min, Long max) {

    public BindingField(String name, boolean template, boolean required, String description) {
        this(name, template, required, description, null, null);
    }

    /** An optional whole-number field between {@code min} and {@code max}. */
    public static BindingField wholeNumber(String name, long min, long max, String description) {
        return new BindingField(name, false, false, description, min, max);
    }

    public boolean isWholeNumber() {
        return min != null;
    }
}
