package io.caravan.compile;

import io.caravan.workflow.Workflow;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Registry;

/**
 * A workflow compiled into one Camel route and the named beans that route refers to. The route
 * runs only in a context where {@link #bindBeans} was called.
 */
public record CompiledWorkflow(Workflow workflow, RouteDefinition route, Map<String, Object> beans) {

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
