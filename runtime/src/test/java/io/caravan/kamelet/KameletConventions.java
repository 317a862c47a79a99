package io.caravan.kamelet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks one {@code *.kamelet.yaml} against the Apache Camel kamelet catalog's conventions and
 * Caravan's safety rules, and returns every finding as a sentence naming the kamelet and what
 * is wrong, so a failing test reads like a review comment.
 */
final class KameletConventions {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** {{name}} and {{?name}}; {{name:default}} keeps only the name. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\??([^}:]+)(?::[^}]*)?}}");
    /** Names that hold secrets in the catalog's kamelets; booleans such as useSessionCredentials are not. */
    private static final Pattern SECRET_NAME = Pattern.compile("(?i).*(password|secret|token|accesskey|apikey).*");
    private static final String CREDENTIALS_DESCRIPTOR = "urn:camel:group:credentials";
    private static final Set<String> TYPES = Set.of("string", "integer", "number", "boolean", "object", "array");

    private KameletConventions() {
    }

    static List<String> check(Path file) throws IOException {
        return check(file.getFileName().toString(), YAML.readTree(file.toFile()));
    }

    static List<String> check(String fileName, JsonNode kamelet) {
        List<String> problems = new ArrayList<>();
        String name = kamelet.path("metadata").path("name").asText("");
        String who = name.isEmpty() ? fileName : name;
        if (!fileName.equals(name + ".kamelet.yaml")) {
            problems.add("file name " + fileName + " does not match metadata.name " + name);
        }
        if (!"Kamelet".equals(kamelet.path("kind").asText())) {
            problems.add(who + ": kind is '" + kamelet.path("kind").asText() + "', not Kamelet");
        }
        String type = kamelet.path("metadata").path("labels").path("camel.apache.org/kamelet.type").asText("");
        if (!Set.of("source", "sink", "action").contains(type)) {
            problems.add(who + ": label camel.apache.org/kamelet.type is '" + type + "'; valid: source, sink, action");
        }
        JsonNode spec = kamelet.path("spec");
        JsonNode definition = spec.path("definition");
        for (String field : List.of("title", "description")) {
            if (definition.path(field).asText("").isBlank()) {
                problems.add(who + ": spec.definition has no " + field);
            }
        }
        JsonNode properties = definition.path("properties");
        definition.path("required").forEach(r -> {
            if (!properties.has(r.asText())) {
                problems.add(who + ": required parameter '" + r.asText() + "' is not among the properties");
            }
        });
        properties.fields().forEachRemaining(p -> checkProperty(who, p.getKey(), p.getValue(), problems));
        checkDependencies(who, spec.path("dependencies"), problems);
        checkTemplate(who, type, spec.path("template"), properties, problems);
        return problems;
    }

    private static void checkProperty(String who, String name, JsonNode property, List<String> problems) {
        for (String field : List.of("title", "description", "type")) {
            if (property.path(field).asText("").isBlank()) {
                problems.add(who + ": property '" + name + "' has no " + field);
            }
        }
        String type = property.path("type").asText("");
        if (!type.isEmpty() && !TYPES.contains(type)) {
            problems.add(who + ": property '" + name + "' has type '" + type + "'; valid: " + TYPES);
        }
        JsonNode def = property.get("default");
        if (def != null && (("boolean".equals(type) && !def.isBoolean()) || ("integer".equals(type) && !def.isIntegralNumber()))) {
            problems.add(who + ": property '" + name + "' is " + type + " but its default " + def + " is not");
        }
        if ("string".equals(type) && SECRET_NAME.matcher(name).matches()) {
            if (!"password".equals(property.path("format").asText())) {
                problems.add(who + ": property '" + name + "' looks secret but has no format: password");
            }
            if (!texts(property.path("x-descriptors")).contains(CREDENTIALS_DESCRIPTOR)) {
                problems.add(who + ": property '" + name + "' looks secret but has no x-descriptors " + CREDENTIALS_DESCRIPTOR);
            }
            if (def != null) {
                problems.add(who + ": property '" + name + "' looks secret but has a default");
            }
        }
    }

    private static void checkDependencies(String who, JsonNode dependencies, List<String> problems) {
        if (!texts(dependencies).contains("camel:kamelet")) {
            problems.add(who + ": spec.dependencies does not list camel:kamelet");
        }
    }

    private static void checkTemplate(String who, String type, JsonNode template, JsonNode properties,
                                      List<String> problems) {
        if (template.isMissingNode()) {
            problems.add(who + ": spec.template is missing");
            return;
        }
        Set<String> declared = new LinkedHashSet<>();
        properties.fieldNames().forEachRemaining(declared::add);
        // a template bean is referred to as {{beanName}} too
        template.path("beans").forEach(b -> declared.add(b.path("name").asText()));
        Set<String> used = new LinkedHashSet<>();
        collectPlaceholders(template, used);
        for (String u : used) {
            if (!declared.contains(u)) {
                problems.add(who + ": template uses {{" + u + "}} which is not declared");
            }
        }
        properties.fieldNames().forEachRemaining(p -> {
            if (!used.contains(p)) {
                problems.add(who + ": parameter " + p + " is declared but never used in the template");
            }
        });
        String from = template.path("from").path("uri").asText("");
        List<JsonNode> steps = new ArrayList<>();
        flatten(template.path("from").path("steps"), steps);
        if ("sink".equals(type) && !"kamelet:source".equals(from)) {
            problems.add(who + ": a sink's template must start from kamelet:source, not '" + from + "'");
        }
        if ("source".equals(type)) {
            int sink = indexOfSendTo(steps, "kamelet:sink");
            if (sink < 0) {
                problems.add(who + ": a source's template never sends to kamelet:sink");
            } else if (steps.subList(0, sink).stream().noneMatch(s -> s.has("removeHeaders"))) {
                problems.add(who + ": a source must removeHeaders (Camel*, kafka.*) before kamelet:sink;"
                        + " otherwise broker control headers reach the next producer");
            }
        }
    }

    /** Steps in document order, nested ones (choice, filter) after their parent. */
    private static void flatten(JsonNode steps, List<JsonNode> out) {
        for (JsonNode step : steps) {
            out.add(step);
            step.findValues("steps").forEach(nested -> flatten(nested, out));
        }
    }

    private static int indexOfSendTo(List<JsonNode> steps, String uri) {
        for (int i = 0; i < steps.size(); i++) {
            JsonNode to = steps.get(i).path("to");
            if (uri.equals(to.asText()) || uri.equals(to.path("uri").asText())) {
                return i;
            }
        }
        return -1;
    }

    private static void collectPlaceholders(JsonNode node, Set<String> out) {
        if (node.isTextual()) {
            Matcher m = PLACEHOLDER.matcher(node.asText());
            while (m.find()) {
                out.add(m.group(1).trim());
            }
        }
        node.forEach(child -> collectPlaceholders(child, out));
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
