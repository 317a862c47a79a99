package io.caravan.compile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.RoutesDefinition;
import org.apache.camel.support.PluginHelper;

/**
 * Prints compiled workflows as Camel YAML DSL with Camel's own dumper (camel-yaml-io), so
 * what {@code caravan compile} shows is the route model the runtime runs.
 */
public final class YamlPrinter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private YamlPrinter() {
    }

    public static String print(List<CompiledWorkflow> workflows) throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            RoutesDefinition routes = new RoutesDefinition();
            routes.setCamelContext(context);
            StringBuilder header = new StringBuilder();
            for (CompiledWorkflow cw : workflows) {
                routes.getRoutes().add(cw.route());
                header.append("# workflow ").append(cw.workflow().id()).append(" from ")
                        .append(cw.workflow().sourceFile()).append(" (version ")
                        .append(cw.workflow().version()).append(")\n");
            }
            String yaml = PluginHelper.getModelToYAMLDumper(context).dumpModelAsYaml(context, routes);
            return header + withDescriptions(yaml, workflows);
        }
    }

    /**
     * Camel 4.17's LwModelToYAMLDumper overrides doWriteOptionalIdentifiedDefinitionAttributes
     * to write only {@code id}: every {@code description} (and {@code note}) is dropped, so the
     * route description (the workflow's name) would be missing from the printed YAML and from
     * routes run from it. The YAML DSL reads {@code description} on a route, so it is put back
     * after each route's {@code group}, as a JSON string (valid YAML whatever the name holds).
     */
    static String withDescriptions(String yaml, List<CompiledWorkflow> workflows) throws JsonProcessingException {
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
                String name = workflows.get(route).route().getDescription();
                if (name != null) {
                    out.add("    description: " + JSON.writeValueAsString(name));
                }
                pending = false;
            }
        }
        if (route != workflows.size() - 1) {
            throw new IllegalStateException("expected " + workflows.size() + " routes in the dumped YAML, found " + (route + 1));
        }
        return String.join("\n", out);
    }
}
