package io.caravan.compile;

import io.caravan.workflow.Workflow;
import java.util.List;
import org.apache.camel.model.RouteDefinition;

/**
 * A workflow compiled into its Camel route and the routes that route calls ({@code nodeRoutes}: a
 * node with an error branch and retries runs in a {@code direct:} route of its own, because
 * Camel's error handler does not retry inside doTry; a called workflow's call entry). The routes
 * refer to no bean of the workflow's: Caravan's language and components, credentials by id, and
 * classes Camel makes ({@code #class:}) are all they need.
 */
public record CompiledWorkflow(Workflow workflow, RouteDefinition route, List<RouteDefinition> nodeRoutes) {

    /** All its routes, those the main route calls first: started in this order, stopped in reverse. */
    public List<RouteDefinition> routes() {
        List<RouteDefinition> all = new java.util.ArrayList<>(nodeRoutes);
        all.add(route);
        return all;
    }
}
