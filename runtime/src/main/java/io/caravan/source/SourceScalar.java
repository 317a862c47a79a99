package io.caravan.source;

/**
 * A single value in a source file: String, Long (or BigInteger when it does not fit), Double,
 * Boolean, or null for JSON {@code null} and an empty YAML value.
 */
public record SourceScalar(Location location, Object value) implements SourceNode {

    public boolean isString() {
        return value instanceof String;
    }

    @Override
    public String kindName() {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Boolean) {
            return "a boolean";
        }
        return "a number";
    }

    /** The value as shown in a message: strings quoted, the rest as written. */
    public String shown() {
        return value instanceof String s ? '"' + s + '"' : String.valueOf(value);
    }

    @Override
    public Object toPlain() {
        return value;
    }
}
