package io.caravan.source;

/**
 * A value read from a workflow or credentials file, with the place it was written. The
 * validator reads these instead of plain Java values so every problem can name its line.
 */
public sealed interface SourceNode permits SourceMap, SourceList, SourceScalar {

    Location location();

    /** How the value is called in messages: "a string", "a list", ... */
    String kindName();

    /** The value as plain JSON-shaped Java: LinkedHashMap, ArrayList, String, Long, Double, Boolean, null. */
    Object toPlain();
}
