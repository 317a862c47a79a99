package io.caravan.source;

/** A place in a workflow file: 1-based line and column, and the JSON path of the value there. */
public record Location(int line, int column, String path) {

    public static final Location UNKNOWN = new Location(0, 0, "$");

    public Location child(String key, int line, int column) {
        return new Location(line, column, path + "." + key);
    }

    @Override
    public String toString() {
        return line + ":" + column + " (" + path + ")";
    }
}
