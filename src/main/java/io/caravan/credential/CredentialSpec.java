package io.caravan.credential;

import java.util.List;
import java.util.Optional;

/**
 * What one credential type accepts: its name in {@code credentials.yaml} and its fields.
 * Each binding declares one; the credential loader and validator read nothing else.
 */
public record CredentialSpec(String type, List<Field> fields) {

    public enum Kind { STRING, STRING_LIST, BOOLEAN }

    /** One field: name, kind, whether it must be present, whether it is a secret, what it means. */
    public record Field(String name, Kind kind, boolean required, boolean secret, String description) {
    }

    public Optional<Field> field(String name) {
        return fields.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    public List<String> fieldNames() {
        return fields.stream().map(Field::name).toList();
    }
}
