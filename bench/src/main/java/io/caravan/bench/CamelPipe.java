package io.caravan.bench;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;

/** A pipe written as a Camel route (Java DSL) in a CamelContext of its own. */
final class CamelPipe implements Pipe {

    private final String name;
    private final RouteBuilder routes;
    private final java.util.Map<String, Object> beans;
    private CamelContext context;

    CamelPipe(String name, RouteBuilder routes) {
        this(name, routes, java.util.Map.of());
    }

    CamelPipe(String name, RouteBuilder routes, java.util.Map<String, Object> beans) {
        this.name = name;
        this.routes = routes;
        this.beans = beans;
    }

    @Override
    public void start() throws Exception {
        context = new DefaultCamelContext();
        context.getCamelContextExtension().setName("bench-" + name);
        beans.forEach(context.getRegistry()::bind);
        context.getShutdownStrategy().setTimeout(20);
        context.addRoutes(routes);
        context.start();
    }

    @Override
    public void close() {
        if (context != null) {
            context.stop();
        }
    }
}
