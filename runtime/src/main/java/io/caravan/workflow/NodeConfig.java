package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.spec.Field;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A node's config after validation: plain Java values (String, Long, Double, Boolean, Duration,
 * List, Map) with defaults applied, plus where each field was written. The validator has
 * already checked types, so the getters cast.
 */
public final class NodeConfig {

    private final Map<String, Object> values;
    private final Map<String, Location> locations;
    private final Location location;

    public NodeConfig(Map<String, Object> values, Map<String, Location> locations, Location location) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.locations = Collections.unmodifiableMap(new LinkedHashMap<>(locations));
        this.location = location;
    }

    public static NodeConfig empty(Location location) {
        return new NodeConfig(Map.of(), Map.of(), location);
    }

    public boolean has(String key) {
        return values.get(key) != null;
    }

    public Object get(String key) {
        return values.get(key);
    }

    public String string(String key) {
        Object v = values.get(key);
        return v == null ? null : v.toString();
    }

    public Optional<String> optionalString(String key) {
        return Optional.ofNullable(string(key));
    }

    public long number(String key) {
        return ((Number) values.get(key)).longValue();
    }

    public boolean bool(String key) {
        return Boolean.TRUE.equals(values.get(key));
    }

    public Duration duration(String key) {
        return (Duration) values.get(key);
    }

    @SuppressWarnings("unchecked")
    public Map<String, String> stringMap(String key) {
        Object v = values.get(key);
        return v == null ? Map.of() : (Map<String, String>) v;
    }

    // Typed accessors: code names the field it reads (NodeSpecs, a broker's spec) instead of its key.

    public boolean has(Field field) {
        return has(field.name());
    }

    public String string(Field field) {
        return string(field.name());
    }

    public long number(Field field) {
        return number(field.name());
    }

    public Optional<Long> optionalNumber(Field field) {
        return has(field) ? Optional.of(number(field)) : Optional.empty();
    }

    public boolean bool(Field field) {
        return bool(field.name());
    }

    public Duration duration(Field field) {
        return duration(field.name());
    }

    public Map<String, String> stringMap(Field field) {
        return stringMap(field.name());
    }

    public Location location(Field field) {
        return location(field.name());
    }

    public Map<String, Object> values() {
        return values;
    }

    /** Where {@code key} was written, or where the config block starts if it was not written. */
    public Location location(String key) {
        return locations.getOrDefault(key, location);
    }

    public Location location() {
        return location;
    }
}
