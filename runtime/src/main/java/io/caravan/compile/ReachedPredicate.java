package io.caravan.compile;

import io.caravan.template.RunContext;
import io.caravan.workflow.Edge;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Whether a node runs in this execution: one of its incoming edges comes from a node that ran,
 * and, when that node is a condition, the edge's {@code when} matches its result; or the edge is
 * an error edge ({@code label: error}) and its node failed.
 */
public final class ReachedPredicate implements Predicate {

    private final List<Edge> incoming;

    public ReachedPredicate(List<Edge> incoming) {
        this.incoming = List.copyOf(incoming);
    }

    @Override
    public boolean matches(Exchange exchange) {
        RunContext run = Runs.of(exchange);
        for (Edge edge : incoming) {
            if (edge.error()) {
                if (run.hasFailed(edge.from())) {
                    return true;
                }
                continue;
            }
            if (!run.hasRun(edge.from())) {
                continue;
            }
            if (edge.when() == null) {
                return true;
            }
            if (run.output(edge.from()) instanceof Map<?, ?> out && edge.when().equals(out.get("result"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "reached via " + incoming.stream().map(Edge::from).toList();
    }
}
