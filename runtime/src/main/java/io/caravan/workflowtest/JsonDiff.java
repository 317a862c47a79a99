package io.caravan.workflowtest;

import io.caravan.Json;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compares what a test expects with what a run gave, as JSON values, and says each difference
 * with its path: {@code sent.out[0].body.total: expected 42.5, got "42.5"}. Text that is JSON is
 * compared as JSON, so key order and spacing do not matter; numbers compare by value.
 */
final class JsonDiff {

    private JsonDiff() {
    }

    static List<String> differences(String path, Object expected, Object actual) {
        List<String> out = new ArrayList<>();
        compare(path, normal(expected), normal(actual), out);
        return out;
    }

    /** A value as JSON would hold it: text that is a JSON object or array parsed. */
    static Object normal(Object value) {
        return value instanceof String s ? Json.parseIfJson(s) : value;
    }

    private static void compare(String path, Object expected, Object actual, List<String> out) {
        if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
            TreeSet<String> keys = new TreeSet<>();
            e.keySet().forEach(k -> keys.add(String.valueOf(k)));
            a.keySet().forEach(k -> keys.add(String.valueOf(k)));
            for (String k : keys) {
                String at = path + "." + k;
                if (!e.containsKey(k)) {
                    out.add(at + ": not expected, got " + shown(a.get(k)));
                } else if (!a.containsKey(k)) {
                    out.add(at + ": expected " + shown(e.get(k)) + ", missing");
                } else {
                    compare(at, normal(e.get(k)), normal(a.get(k)), out);
                }
            }
            return;
        }
        if (expected instanceof List<?> e && actual instanceof List<?> a) {
            for (int i = 0; i < Math.max(e.size(), a.size()); i++) {
                String at = path + "[" + i + "]";
                if (i >= e.size()) {
                    out.add(at + ": not expected, got " + shown(a.get(i)));
                } else if (i >= a.size()) {
                    out.add(at + ": expected " + shown(e.get(i)) + ", missing");
                } else {
                    compare(at, normal(e.get(i)), normal(a.get(i)), out);
                }
            }
            return;
        }
        if (expected instanceof Number e && actual instanceof Number a
                && new BigDecimal(e.toString()).compareTo(new BigDecimal(a.toString())) == 0) {
            return;
        }
        if (expected == null ? actual != null : !expected.equals(actual)) {
            out.add(path + ": expected " + shown(expected) + ", got " + shown(actual));
        }
    }

    static String shown(Object value) {
        String text = Json.write(value);
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }
}
