package io.caravan.compile;

import java.util.List;
import org.apache.camel.impl.DefaultCamelContext;
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
            for (CompiledWorkflow cw : workflows) {
                routes.getRoutes().add(cw.route());
                header.append("# workflow ").append(cw.workflow().id()).append(" from ")
                        .append(cw.workflow().sourceFile()).append(" (version ")
                        .append(cw.workflow().version()).append(")\n");
            }
            return header + PluginHelper.getModelToYAMLDumper(context).dumpModelAsYaml(context, routes);
        }
    }
}
