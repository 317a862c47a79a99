package io.caravan.compile.errors;

import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/** Runs before each redelivery (onRedelivery): reports the attempt for metrics. */
public final class RetriedProcessor implements Processor {

    private final String workflowId;
    private final RunEvents events;

    RetriedProcessor(String workflowId, RunEvents events) {
        this.workflowId = workflowId;
        this.events = events;
    }

    @Override
    public void process(Exchange exchange) {
        int redeliveries = exchange.getProperty(Runs.REDELIVERIES, 0, Integer.class) + 1;
        exchange.setProperty(Runs.REDELIVERIES, redeliveries);
        events.retried(workflowId, exchange.getProperty(Runs.NODE, String.class), redeliveries + 1);
    }
}
