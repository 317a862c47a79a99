package io.caravan.runtime.cluster;

import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.component.master.MasterConsumer;

/** Whether this instance leads a workflow's schedule: what JMX and /metrics report. */
public final class Leadership {

    private Leadership() {
    }

    /**
     * Empty when the workflow is not a singleton (no schedule, or not running); true while this
     * instance fires its schedule, false while another one does (or none does yet).
     */
    public static Optional<Boolean> of(CamelContext context, String workflowId) {
        Route route = context.getRoute(workflowId);
        return route != null && route.getConsumer() instanceof MasterConsumer master
                ? Optional.of(master.isMaster()) : Optional.empty();
    }
}
