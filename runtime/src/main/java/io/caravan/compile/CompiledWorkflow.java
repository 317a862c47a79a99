package io.caravan.compile;

import io.caravan.workflow.Workflow;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Registry;

/**
 * A workflow compiled into its Camel route, the routes that route calls ({@code nodeRoutes}: a
 * node with an error branch and retries runs in a {@code direct:} route of its own, because
 * Camel's error handler does not retry inside doTry) and the named beans they refer to. The
 * routes run only in a context where {@link #bindBeans} was called.
 */
public record CompiledWorkflow(Workflow workflow, RouteDefinition route, List<RouteDefinition> nodeRoutes,
                               Map<String, Object> beans) {

    /** All its routes, those the main route calls first: started in this order, stopped in reverse. */
    public List<RouteDefinition> routes() {
        List<RouteDefinition> all = new java.util.ArrayList<>(nodeRoutes);
        all.add(route);
        return all;
    }

    public void bindBeans(CamelContext context) {
        WorkflowBeans repository = WorkflowBeans.of(context);
        if (repository != null) {
            beans.forEach(repository::bind);
        } else {
            Registry registry = context.getRegistry();
            beans.forEach(registry::bind);
        }
    }

    public void unbindBeans(CamelContext context) {
        WorkflowBeans repository = WorkflowBeans.of(context);
        if (repository != null) {
            beans.keySet().forEach(repository::unbind);
        } else {
            Registry registry = context.getRegistry();
            beans.keySet().forEach(registry::unbind);
        }
    }
}
