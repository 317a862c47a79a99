package io.caravan.spec;

import java.util.List;
import java.util.Optional;

/**
 * What one credential type accepts: its name in {@code credentials.yaml}, what it is for, and its
 * fields (kinds STRING, STRING_LIST and BOOLEAN). Each broker declares one in its {@link BrokerSpec};
 * the credential loader, the reference and the secret checks read nothing else.
 */
public record CredentialSpec(String type, String description, List<Field> fields) {

    public CredentialSpec {
        fields = List.copyOf(fields);
    }

    public Optional<Field> field(String name) {
        return fields.stream().filter(f -> f.name().equals(name)).findFirst();
    }

    public List<String> fieldNames() {
        return fields.stream().map(Field::name).toList();
    }

    /** The names of the fields whose values are secrets. */
    public List<String> secretFields() {
        return fields.stream().filter(Field::secret).map(Field::name).toList();
    }
}
