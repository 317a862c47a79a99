package io.caravan.compile;

import com.fasterxml.jackson.databind.JsonNode;
import io.caravan.Json;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.support.PluginHelper;

/**
 * Prints compiled workflows as Camel YAML DSL with Camel's own dumper (camel-yaml-io), so
 * what {@code caravan compile} shows is the route model the runtime runs.
 */
public final class YamlPrinter {


    private YamlPrinter() {
    }

    public static String print(List<CompiledWorkflow> workflows) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            RoutesDefinition routes = new RoutesDefinition();
            routes.setCamelContext(context);
            StringBuilder header = new StringBuilder();
            List<RouteDefinition> all = new ArrayList<>();
            for (CompiledWorkflow cw : workflows) {
                all.addAll(cw.routes());
                routes.getRoutes().addAll(cw.routes());
                header.append("# workflow ").append(cw.workflow().id()).append(" from ")
                        .append(cw.workflow().sourceFile()).append(" (version ")
                        .append(cw.workflow().version()).append(")\n");
            }
            String yaml = PluginHelper.getModelToYAMLDumper(context).dumpModelAsYaml(context, routes);
            return header + liftMisplacedOptions(withDescriptions(yaml, all));
        }
    }

    /**
     * Options that Camel 4.17's dumper writes as {@code steps} of the EIP they belong to, where
     * its YAML DSL refuses them ("Unexpected type: RedeliveryPolicyDefinition"): an
     * onException's redelivery policy and onWhen, a circuit breaker's configuration and fallback.
     */
    private static final Map<String, Set<String>> MISPLACED = Map.of(
            "onException", Set.of("redeliveryPolicy", "onWhen"),
            "circuitBreaker", Set.of("resilience4jConfiguration", "faultToleranceConfiguration", "onFallback"));

    /** Moves the misplaced options back beside {@code steps}, where the YAML DSL reads them. */
    static String liftMisplacedOptions(String yaml) throws Exception {
        if (MISPLACED.values().stream().flatMap(Set::stream).noneMatch(key -> yaml.contains(key + ":"))
                && !yaml.contains("language:")) {
            return yaml;
        }
        JsonNode tree = YAML.readTree(yaml);
        lift(tree);
        return YAML.writeValueAsString(tree);
    }

    private static void lift(JsonNode node) {
        if (node instanceof ObjectNode object) {

            MISPLACED.forEach((eip, keys) -> {
                if (object.get(eip) instanceof ObjectNode definition && definition.get("steps") instanceof ArrayNode steps) {
                    for (int i = steps.size() - 1; i >= 0; i--) {
                        if (steps.get(i) instanceof ObjectNode step && step.size() == 1
                                && keys.contains(step.fieldNames().next())) {
                            String key = step.fieldNames().next();
                            definition.set(key, step.get(key));
                            steps.remove(i);
                        }
                    }
                }
            });
            // Camel 4.17's dumper drops the name of a language expression's language; the only
            // one compiled routes use is Caravan's
            if (object.get("language") instanceof ObjectNode language && language.has("expression")
                    && !language.has("language")) {
                ObjectNode named = YAML.createObjectNode();
                named.put("language", io.caravan.camel.CaravanLanguage.NAME);
                named.setAll(language);
                object.set("language", named);
            }
            object.elements().forEachRemaining(YamlPrinter::lift);
        } else if (node instanceof ArrayNode array) {
            array.elements().forEachRemaining(YamlPrinter::lift);
        }
    }

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .build();

    /**
     * Camel 4.17's LwModelToYAMLDumper overrides doWriteOptionalIdentifiedDefinitionAttributes
     * to write only {@code id}: every {@code description} (and {@code note}) is dropped, so the
     * route description (the workflow's name) would be missing from the printed YAML and from
     * routes run from it. The YAML DSL reads {@code description} on a route, so it is put back
     * after each route's {@code group}, as a JSON string (valid YAML whatever the name holds).
     */
    static String withDescriptions(String yaml, List<RouteDefinition> routeList) throws JsonProcessingException {
        List<String> out = new ArrayList<>();
        int route = -1;
        boolean pending = false;
        for (String line : yaml.split("\n", -1)) {
            out.add(line);
            if (line.equals("- route:")) {
                route++;
                pending = true;
            } else if (pending && line.startsWith("    description:")) {
                pending = false; // a dumper that keeps descriptions: nothing to add
            } else if (pending && line.startsWith("    group: ")) {
                String name = routeList.get(route).getDescription();
                if (name != null) {
                    out.add("    description: " + Json.write(name));
                }
                pending = false;
            }
        }
        if (route != routeList.size() - 1) {
            throw new IllegalStateException("expected " + routeList.size() + " routes in the dumped YAML, found " + (route + 1));
        }
        return String.join("\n", out);
    }
}
