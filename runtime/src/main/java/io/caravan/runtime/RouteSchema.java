package io.caravan.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.caravan.Json;
import io.caravan.source.Diagnostic;
import io.caravan.source.Location;
import io.caravan.source.SourceList;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A route file against the Camel YAML DSL's own JSON Schema ({@code schema/camelYamlDsl.json}
 * in camel-yaml-dsl, draft 4): an unknown step or option, a misplaced {@code when}, a missing
 * {@code steps}. Each error is placed at the key or value it is about.
 *
 * <p>The schema describes steps as {@code oneOf} a short string form and a long object form, and
 * expressions as {@code oneOf} every language, so one mistake gives many errors, one per branch.
 * Camel's own validator (4.18, not in 4.17) filters them in the way followed here: errors about a
 * scalar Camel converts at start (a placeholder where a boolean is expected, {@code 1000} where a
 * string is) are dropped, and of each {@code oneOf} only the branch that came closest is kept.
 */
final class RouteSchema {

    /** Keywords that say something about a property the user wrote: the best evidence of the branch meant. */
    private static final Set<String> PROPERTY_LEVEL = Set.of("additionalProperties", "enum", "pattern", "minimum",
            "maximum", "minLength", "maxLength", "const");

    private static volatile JsonSchema schema;

    private RouteSchema() {
    }

    static RouteSchema load() {
        if (schema == null) {
            synchronized (RouteSchema.class) {
                if (schema == null) {
                    schema = read();
                }
            }
        }
        return new RouteSchema();
    }

    private static JsonSchema read() {
        // "deprecated" is in the schema but not a draft-4 keyword: known, so not warned about
        JsonMetaSchema meta = JsonMetaSchema.builder(JsonMetaSchema.getV4()).keyword(new NonValidationKeyword("deprecated")).build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4, b -> b.metaSchema(meta));
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().pathType(PathType.JSON_POINTER)
                .locale(Locale.ENGLISH).build();
        try (InputStream in = org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader.class.getResourceAsStream("/schema/camelYamlDsl.json")) {
            if (in == null) {
                throw new IllegalStateException("camel-yaml-dsl has no schema/camelYamlDsl.json");
            }
            JsonSchema s = factory.getSchema(in, config);
            s.initializeValidators();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    List<Diagnostic> check(String file, SourceNode root) {
        JsonNode document = Json.MAPPER.valueToTree(root.toPlain());
        List<ValidationMessage> errors = new ArrayList<>(schema.validate(document));
        List<ValidationMessage> kept = filter(errors);
        kept.sort(Comparator.comparing((ValidationMessage m) -> m.getInstanceLocation().toString()));
        List<Diagnostic> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (ValidationMessage m : kept) {
            Location at = locate(root, m);
            String text = message(m);
            if (seen.add(at.line() + ":" + at.column() + ":" + text)) {
                problems.add(Diagnostic.at(file, at, text));
            }
        }
        return problems;
    }

    /** Drops what Camel accepts at start, then every branch of a oneOf/anyOf but the closest. */
    private static List<ValidationMessage> filter(List<ValidationMessage> all) {
        List<ValidationMessage> accepted = all.stream().filter(RouteSchema::acceptedScalar).toList();
        List<ValidationMessage> rest = new ArrayList<>(all);
        rest.removeAll(accepted);
        Set<ValidationMessage> drop = new HashSet<>();
        List<ValidationMessage> choices = rest.stream().filter(m -> m.getType().equals("oneOf") || m.getType().equals("anyOf"))
                .sorted(Comparator.comparingInt((ValidationMessage m) -> m.getEvaluationPath().toString().length()).reversed())
                .toList();
        for (ValidationMessage choice : choices) {
            String path = choice.getEvaluationPath().toString();
            String where = choice.getInstanceLocation().toString();
            Map<String, List<ValidationMessage>> branches = new LinkedHashMap<>();
            for (ValidationMessage e : rest) {
                String ep = e.getEvaluationPath().toString();
                if (e != choice && !drop.contains(e) && ep.startsWith(path + "/")
                        && e.getInstanceLocation().toString().startsWith(where)) {
                    branches.computeIfAbsent(ep.substring(path.length() + 1).split("/")[0], k -> new ArrayList<>()).add(e);
                }
            }
            boolean acceptedBelow = accepted.stream().anyMatch(a -> a.getInstanceLocation().toString().startsWith(where));
            if (acceptedBelow) {
                // one branch failed only on a scalar Camel converts: that branch is what was meant
                drop.add(choice);
                branches.values().forEach(drop::addAll);
                continue;
            }
            if (branches.isEmpty()) {
                continue; // nothing below to choose from: the oneOf error is the only news
            }
            String best = null;
            int bestScore = -1;
            for (Map.Entry<String, List<ValidationMessage>> b : branches.entrySet()) {
                int score = b.getValue().stream().mapToInt(m -> (PROPERTY_LEVEL.contains(m.getType()) ? 2000
                        : m.getType().equals("type") ? 1000 : 0) + m.getInstanceLocation().getNameCount()).max().orElse(0);
                if (score > bestScore) {
                    bestScore = score;
                    best = b.getKey();
                }
            }
            for (Map.Entry<String, List<ValidationMessage>> b : branches.entrySet()) {
                if (!b.getKey().equals(best)) {
                    drop.addAll(b.getValue());
                }
            }
            drop.add(choice);
        }
        rest.removeAll(drop);
        // where a key is unknown, "required" and "not" at the same object say the same thing again
        Set<String> unknownAt = new HashSet<>();
        rest.stream().filter(m -> m.getType().equals("additionalProperties"))
                .forEach(m -> unknownAt.add(m.getInstanceLocation().toString()));
        rest.removeIf(m -> (m.getType().equals("required") || m.getType().equals("not"))
                && unknownAt.contains(m.getInstanceLocation().toString()));
        return rest;
    }

    /** A scalar Camel converts when it binds the model: a placeholder, "true", 1000 for a string. */
    private static boolean acceptedScalar(ValidationMessage m) {
        JsonNode node = m.getInstanceNode();
        String type = m.getType();
        if (node == null || !(type.equals("type") || type.equals("enum"))) {
            return false;
        }
        if (node.isTextual() && (node.asText().contains("{{") || node.asText().contains("${"))) {
            return true;
        }
        if (!type.equals("type") || m.getSchemaNode() == null) {
            return false;
        }
        String wanted = m.getSchemaNode().asText();
        if (node.isTextual() && wanted.equals("boolean")) {
            return node.asText().equalsIgnoreCase("true") || node.asText().equalsIgnoreCase("false");
        }
        if (node.isTextual() && (wanted.equals("number") || wanted.equals("integer"))) {
            return node.asText().matches("-?\\d+(\\.\\d+)?");
        }
        return (node.isNumber() || node.isBoolean()) && wanted.equals("string");
    }

    private static String message(ValidationMessage m) {
        return switch (m.getType()) {
            case "additionalProperties" -> "'" + m.getProperty() + "' is not a key of the Camel YAML DSL here"
                    + (m.getInstanceLocation().getNameCount() == 1 ? " (a route file lists route, from, rest,"
                    + " restConfiguration, routeConfiguration, routeTemplate, templatedRoute, beans, errorHandler, ...)"
                    : "") + " (Camel YAML DSL schema)";
            case "required" -> "'" + m.getProperty() + "' is required here (Camel YAML DSL schema)";
            default -> m.getError() + " (Camel YAML DSL schema)";
        };
    }

    /** The node the error is about; for an unknown key, the key itself. */
    private static Location locate(SourceNode root, ValidationMessage m) {
        SourceNode node = root;
        JsonNodePath path = m.getInstanceLocation();
        for (int i = 0; i < path.getNameCount(); i++) {
            Object element = path.getElement(i);
            SourceNode next = null;
            if (element instanceof Integer index && node instanceof SourceList list && index < list.items().size()) {
                next = list.items().get(index);
            } else if (element instanceof String key && node instanceof SourceMap map) {
                next = map.get(key).orElse(null);
            }
            if (next == null) {
                break;
            }
            node = next;
        }
        if (m.getType().equals("additionalProperties") && node instanceof SourceMap map && m.getProperty() != null) {
            return map.entry(m.getProperty()).map(SourceMap.Entry::keyLocation).orElse(node.location());
        }
        return node.location();
    }
}
