package io.caravan.compile;

import io.caravan.workflow.Edge;
import java.util.ArrayList;
import java.util.List;

/**
 * When a node runs: one of its incoming edges comes from a node that ran and, when that node is
 * a condition, the edge's {@code when} matches its result; or the edge is an error edge
 * ({@code label: error}) and its node failed. Written as a condition of Caravan's Camel language,
 * the filter in front of the node.
 */
final class Reached {

    private Reached() {
    }

    /**
     * {@code ran(a)} for an edge from a, {@code (ran(c) && {{c.result}} == true)} for a
     * condition's edge, {@code failed(x)} for an error edge, joined with {@code ||}.
     */
    static String condition(List<Edge> incoming) {
        List<String> parts = new ArrayList<>();
        for (Edge edge : incoming) {
            if (edge.error()) {
                parts.add("failed(" + edge.from() + ")");
            } else if (edge.when() == null) {
                parts.add("ran(" + edge.from() + ")");
            } else {
                parts.add("(ran(" + edge.from() + ") && {{" + edge.from() + ".result}} == " + edge.when() + ")");
            }
        }
        return String.join(" || ", parts);
    }
}
