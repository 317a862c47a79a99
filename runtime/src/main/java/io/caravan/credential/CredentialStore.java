package io.caravan.credential;

import io.caravan.source.Diagnostic;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import io.caravan.source.Location;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceList;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceScalar;
import io.caravan.source.InvalidFileException;
import io.caravan.source.SourceParser;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The credentials a Caravan process may use, read from {@code config/credentials.yaml}: a map from
 * credential id to {@code {type: ..., <fields>}}, with {@code ${NAME}} values taken from the
 * environment. Error messages name fields and variables but never show a secret's value.
 */
public final class CredentialStore {

    /** A ${NAME} reference to an environment variable in a credential's value; group 1 is NAME. */
    public static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private final Map<String, Credential> byId;
    private final String file;
    // where each credential and each of its fields was written: credential id -> field ("" for the entry) -> place
    private final Map<String, Map<String, Location>> places;

    private CredentialStore(Map<String, Credential> byId, String file, Map<String, Map<String, Location>> places) {
        this.byId = byId;
        this.file = file;
        this.places = places;
    }

    private CredentialStore(Map<String, Credential> byId) {
        this(byId, null, Map.of());
    }

    public static CredentialStore empty() {
        return new CredentialStore(Map.of());
    }

    /**
     * A problem with credential {@code id} placed at its {@code field} in the file it came from
     * (at the entry when the field was not written; at 1:1 for credentials made in code), with
     * one of the seed's error codes or null.
     */
    public Diagnostic problem(String id, String field, String code, String message) {
        Map<String, Location> at = places.getOrDefault(id, Map.of());
        Location where = at.getOrDefault(field, at.get(""));
        return where == null || file == null
                ? new Diagnostic(file == null ? "credentials" : file, 1, 1, message, "$." + id, code)
                : Diagnostic.at(file, where, code, message);
    }

    /** A store holding exactly these credentials; for callers that build them in code. */
    public static CredentialStore of(List<Credential> credentials) {
        Map<String, Credential> map = new LinkedHashMap<>();
        credentials.forEach(c -> map.put(c.id(), c));
        return new CredentialStore(map);
    }

    /**
     * Reads {@code file}. Throws InvalidFileException with every problem found: syntax, unknown
     * types or fields, missing fields, wrong kinds, unset environment variables.
     */
    public static CredentialStore load(Path file, String displayName, List<CredentialSpec> specs,
                                       Map<String, String> env) {
        ParsedFile parsed = SourceParser.parse(file, displayName, true);
        return new Loader(displayName, specs, env).load(parsed.root());
    }

    public Optional<Credential> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public List<Credential> all() {
        return List.copyOf(byId.values());
    }

    public List<String> ids() {
        return List.copyOf(byId.keySet());
    }

    /** Reads one file's tree; kept apart so the store itself stays a plain lookup. */
    private static final class Loader {

        private final String file;
        private final List<CredentialSpec> specs;
        private final Map<String, String> env;
        private final List<Diagnostic> problems = new ArrayList<>();

        Loader(String file, List<CredentialSpec> specs, Map<String, String> env) {
            this.file = file;
            this.specs = specs;
            this.env = env;
        }

        CredentialStore load(SourceNode root) {
            Map<String, Credential> byId = new LinkedHashMap<>();
            if (root instanceof SourceScalar s && s.value() == null) {
                return new CredentialStore(byId);
            }
            if (!(root instanceof SourceMap map)) {
                problem(root.location(), "credentials file must map credential ids to {type: ..., fields}, got "
                        + root.kindName());
                throw new InvalidFileException(problems);
            }
            Map<String, Map<String, Location>> places = new LinkedHashMap<>();
            for (SourceMap.Entry e : map.entries()) {
                credential(e.key(), e.value()).ifPresent(c -> byId.put(c.id(), c));
                Map<String, Location> at = new LinkedHashMap<>();
                at.put("", e.keyLocation());
                if (e.value() instanceof SourceMap fields) {
                    fields.entries().forEach(f -> at.put(f.key(), f.value().location()));
                }
                places.put(e.key(), Map.copyOf(at));
            }
            if (!problems.isEmpty()) {
                throw new InvalidFileException(problems);
            }
            return new CredentialStore(byId, file, Map.copyOf(places));
        }

        private Optional<Credential> credential(String id, SourceNode node) {
            if (!(node instanceof SourceMap map)) {
                problem(node.location(), "credential '" + id + "' must be an object with a type and its fields, got "
                        + node.kindName());
                return Optional.empty();
            }
            Optional<SourceNode> typeNode = map.get("type");
            if (typeNode.isEmpty()) {
                problem(map.location(), "credential '" + id + "' is missing required key 'type'; valid types: "
                        + String.join(", ", typeNames()));
                return Optional.empty();
            }
            String type = typeNode.get() instanceof SourceScalar s && s.value() instanceof String t ? t : null;
            CredentialSpec spec = specs.stream().filter(sp -> sp.type().equals(type)).findFirst().orElse(null);
            if (spec == null) {
                String got = type == null ? typeNode.get().kindName() : "'" + type + "'";
                problem(typeNode.get().location(), "unknown credential type " + got + "; valid types: "
                        + String.join(", ", typeNames()));
                return Optional.empty();
            }
            Map<String, Object> fields = new LinkedHashMap<>();
            Set<String> secrets = new LinkedHashSet<>();
            boolean ok = true;
            for (SourceMap.Entry e : map.entries()) {
                if (e.key().equals("type")) {
                    continue;
                }
                Optional<Field> field = spec.field(e.key());
                if (field.isEmpty()) {
                    List<String> valid = new ArrayList<>(List.of("type"));
                    valid.addAll(spec.fieldNames());
                    problem(e.keyLocation(), "unknown key '" + e.key() + "' in " + type + " credential '" + id
                            + "'; valid keys: " + String.join(", ", valid));
                    ok = false;
                    continue;
                }
                Optional<Object> value = value(field.get(), e.value());
                ok &= value.isPresent();
                value.ifPresent(v -> fields.put(e.key(), v));
            }
            for (Field f : spec.fields()) {
                if (f.secret()) {
                    secrets.add(f.name());
                }
                if (f.required() && map.get(f.name()).isEmpty()) {
                    problem(map.location(), type + " credential '" + id + "' is missing required key '" + f.name() + "'");
                    ok = false;
                }
            }
            return ok ? Optional.of(new Credential(id, type, Map.copyOf(fields), Set.copyOf(secrets)))
                    : Optional.empty();
        }

        private Optional<Object> value(Field field, SourceNode node) {
            switch (field.kind()) {
                case STRING_LIST:
                    if (node instanceof SourceList list) {
                        List<String> out = new ArrayList<>();
                        for (SourceNode item : list.items()) {
                            Optional<String> s = string(field, item);
                            if (s.isEmpty()) {
                                return Optional.empty();
                            }
                            out.add(s.get());
                        }
                        return Optional.of(List.copyOf(out));
                    }
                    // one string, e.g. from ${KAFKA_BROKERS}: comma-separated as the seed's env vars are
                    return string(field, node).map(s -> Arrays.stream(s.split(",")).map(String::strip)
                            .filter(x -> !x.isEmpty()).toList());
                case BOOLEAN:
                    if (node instanceof SourceScalar s && s.value() instanceof Boolean b) {
                        return Optional.of(b);
                    }
                    Optional<String> text = string(field, node);
                    if (text.isEmpty()) {
                        return Optional.empty();
                    }
                    if (text.get().equalsIgnoreCase("true") || text.get().equalsIgnoreCase("false")) {
                        return Optional.of(Boolean.parseBoolean(text.get()));
                    }
                    problem(node.location(), field.name() + " must be true or false, got "
                            + (field.secret() ? "another value" : "\"" + text.get() + "\""));
                    return Optional.empty();
                default:
                    return string(field, node).map(s -> s);
            }
        }

        /** A string value with ${NAME} references replaced from the environment. */
        private Optional<String> string(Field field, SourceNode node) {
            if (!(node instanceof SourceScalar s && s.value() instanceof String raw)) {
                String got = node instanceof SourceScalar s2 && s2.value() != null && !field.secret()
                        ? s2.shown() : node.kindName();
                String want = field.kind() == Field.Kind.STRING_LIST ? "a list of strings"
                        : field.kind() == Field.Kind.BOOLEAN ? "true or false" : "a string";
                problem(node.location(), field.name() + " must be " + want + ", got " + got);
                return Optional.empty();
            }
            Matcher m = ENV.matcher(raw);
            StringBuilder out = new StringBuilder();
            boolean ok = true;
            while (m.find()) {
                String value = env.get(m.group(1));
                if (value == null) {
                    problem(node.location(), "environment variable " + m.group(1) + " is not set (needed by "
                            + field.name() + ")");
                    ok = false;
                    value = "";
                }
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return ok ? Optional.of(out.toString()) : Optional.empty();
        }

        private List<String> typeNames() {
            return specs.stream().map(CredentialSpec::type).toList();
        }

        private void problem(Location at, String message) {
            problems.add(Diagnostic.at(file, at, message));
        }
    }
}
