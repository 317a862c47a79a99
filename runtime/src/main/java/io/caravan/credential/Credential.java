package io.caravan.credential;

import java.util.Map;
import java.util.Set;

/**
 * One entry of {@code config/credentials.yaml}: its id, its type ({@code queue_kafka}, ...) and
 * its fields with environment references already resolved. {@link #toString()} never shows
 * the values of secret fields.
 */
public record Credential(String id, String type, Map<String, Object> fields, Set<String> secretFields) {

    public String string(String field) {
        Object v = fields.get(field);
        return v == null ? null : v.toString();
    }

    public Object get(String field) {
        return fields.get(field);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Credential[").append(id).append(", ").append(type);
        fields.forEach((k, v) -> sb.append(", ").append(k).append('=')
                .append(secretFields.contains(k) ? "******" : v));
        return sb.append(']').toString();
    }
}
