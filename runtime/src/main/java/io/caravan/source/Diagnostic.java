package io.caravan.source;

/**
 * One problem found in a workflow file, printed as {@code FILE:LINE:COL: error: MESSAGE (at PATH)}.
 * {@code code} is one of the seed's error codes (e.g. CREDENTIAL_NOT_FOUND) where one applies, else null.
 */
public record Diagnostic(String file, int line, int column, String message, String path, String code) {

    public static Diagnostic at(String file, Location loc, String message) {
        return new Diagnostic(file, loc.line(), loc.column(), message, loc.path(), null);
    }

    public static Diagnostic at(String file, Location loc, String code, String message) {
        return new Diagnostic(file, loc.line(), loc.column(), message, loc.path(), code);
    }

    public String format() {
        String text = code == null ? message : code + ": " + message;
        return file + ":" + line + ":" + column + ": error: " + text + " (at " + path + ")";
    }

    @Override
    public String toString() {
        return format();
    }
}
