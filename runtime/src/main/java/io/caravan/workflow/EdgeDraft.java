package io.caravan.workflow;

import io.caravan.source.Location;
/** An edge as written, with where its {@code from}, {@code to}, {@code when} and {@code label} values are, for messages. */
record EdgeDraft(Edge edge, Location fromAt, Location toAt, Location whenAt, Location labelAt) {

    static EdgeDraft added(Edge edge) {
        return new EdgeDraft(edge, edge.location(), edge.location(), edge.location(), edge.location());
    }
}
