package io.caravan.source;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An object in a source file; entries keep the order and the place they were written in. */
public record SourceMap(Location location, List<Entry> entries) implements SourceNode {

    /** One key and its value; {@code keyLocation} is where the key itself is written. */
    public record Entry(String key, Location keyLocation, SourceNode value) {
    }

    public SourceMap {
        entries = List.copyOf(entries);
    }

    public Optional<Entry> entry(String key) {
        return entries.stream().filter(e -> e.key().equals(key)).findFirst();
    }

    /** The value under {@code key}; a YAML {@code key:} with nothing after it counts as absent. */
    public Optional<SourceNode> get(String key) {
        return entry(key).map(Entry::value).filter(v -> !(v instanceof SourceScalar s && s.value() == null));
    }

    public List<String> keys() {
        return entries.stream().map(Entry::key).toList();
    }

    @Override
    public String kindName() {
        return "an object";
    }

    @Override
    public Object toPlain() {
        Map<String, Object> out = new LinkedHashMap<>();
        entries.forEach(e -> out.put(e.key(), e.value().toPlain()));
        return out;
    }

    static List<Object> plainList(List<SourceNode> items) {
        List<Object> out = new ArrayList<>();
        items.forEach(i -> out.add(i.toPlain()));
        return out;
    }
}
