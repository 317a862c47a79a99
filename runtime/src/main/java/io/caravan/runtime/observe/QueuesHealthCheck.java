package io.caravan.runtime.observe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Caravan's readiness in Camel's HealthCheckRegistry: DOWN while a broker a workflow needs cannot
 * be reached, or while a source holds more messages than its {@code max_depth}, as the last
 * {@link QueueProbe} round saw. Readiness only: a broker outage is no reason to restart Caravan.
 */
final class QueuesHealthCheck extends AbstractHealthCheck {

    public static final String ID = "caravan-queues";

    private final QueueProbe probe;

    QueuesHealthCheck(QueueProbe probe) {
        super("caravan", ID);
        this.probe = probe;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        if (!probe.probedOnce()) {
            builder.message("the queues have not been probed yet").down();
            return;
        }
        List<String> problems = new ArrayList<>();
        for (QueueProbe.Result r : probe.results()) {
            String where = "workflow '" + r.workflowId() + "' node '" + r.nodeId() + "'";
            if (r.unreachable()) {
                // the classified message names the broker's address and masks any user:password@
                problems.add(where + ": " + r.error().getMessage());
            } else if (r.tooDeep()) {
                problems.add(where + ": " + r.queueType() + " source " + r.address() + " holds "
                        + r.depth().visible() + " messages, more than max_depth " + r.maxDepth());
            }
        }
        if (problems.isEmpty()) {
            builder.up();
        } else {
            builder.message(String.join("; ", problems)).detail("problems", problems).down();
        }
    }
}
