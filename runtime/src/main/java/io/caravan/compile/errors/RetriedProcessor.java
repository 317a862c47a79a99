package io.caravan.compile.errors;

import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Route;

/**
 * Runs before each redelivery (a retry clause's {@code onRedeliveryRef}, given as
 * {@code #class:} so that Camel makes it and no registry needs it): counts the attempt for the
 * dead letter's {@code caravan-attempts} and reports it for metrics, for the workflow of the
 * route the exchange came from (its route group).
 */
public final class RetriedProcessor implements Processor {

    /** How a compiled route names it. */
    public static final String REF = "#class:" + RetriedProcessor.class.getName();

    @Override
    public void process(Exchange exchange) {
        int redeliveries = exchange.getProperty(Runs.REDELIVERIES, 0, Integer.class) + 1;
        exchange.setProperty(Runs.REDELIVERIES, redeliveries);
        Route route = exchange.getContext().getRoute(exchange.getFromRouteId());
        String workflowId = route == null || route.getGroup() == null ? exchange.getFromRouteId() : route.getGroup();
        RunEvents.of(exchange.getContext()).retried(workflowId, exchange.getProperty(Runs.NODE, String.class), redeliveries + 1);
    }
}
