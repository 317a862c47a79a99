package io.caravan.workflow;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the diagnostics of one file while it is checked, so all of them can be reported at once. */
final class Problems {

    private final String file;
    private final List<Diagnostic> list = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void add(Location at, String message) {
        list.add(Diagnostic.at(file, at, message));
    }

    void add(Location at, String code, String message) {
        list.add(Diagnostic.at(file, at, code, message));
    }

    int size() {
        return list.size();
    }

    boolean isEmpty() {
        return list.isEmpty();
    }

    /** In the order they appear in the file, so the report reads top to bottom. */
    List<Diagnostic> sorted() {
        List<Diagnostic> out = new ArrayList<>(list);
        out.sort(Comparator.comparingInt(Diagnostic::line).thenComparingInt(Diagnostic::column));
        return out;
    }

    static String list(List<String> items) {
        return items.isEmpty() ? "none" : String.join(", ", items);
    }
}
