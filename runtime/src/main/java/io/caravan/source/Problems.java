package io.caravan.source;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the diagnostics of one file while it is checked, so all of them can be reported at once. */
public final class Problems {

    private final String file;
    private final List<Diagnostic> list = new ArrayList<>();

    public Problems(String file) {
        this.file = file;
    }

    public void add(Location at, String message) {
        list.add(Diagnostic.at(file, at, message));
    }

    public void add(Location at, String code, String message) {
        list.add(Diagnostic.at(file, at, code, message));
    }

    public int size() {
        return list.size();
    }

    public boolean isEmpty() {
        return list.isEmpty();
    }

    /** In the order they appear in the file, so the report reads top to bottom. */
    public List<Diagnostic> sorted() {
        List<Diagnostic> out = new ArrayList<>(list);
        out.sort(Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column));
        return out;
    }

    public static String list(List<String> items) {
        return items.isEmpty() ? "none" : String.join(", ", items);
    }
}
