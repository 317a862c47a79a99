package io.caravan.compile.idempotency;

import io.caravan.compile.RunEvents;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs after the idempotent block. A duplicate skipped the block, so this is where it is counted;
 * the exchange then completes normally, which makes the consumer acknowledge (delete, commit,
 * ack) the duplicate instead of leaving it to be redelivered.
 */
final class DuplicateProcessor implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(DuplicateProcessor.class);

    private final String workflowId;
    private final String nodeId;
    private final RunEvents events;

    DuplicateProcessor(String workflowId, String nodeId, RunEvents events) {
        this.workflowId = workflowId;
        this.nodeId = nodeId;
        this.events = events;
    }

    @Override
    public void process(Exchange exchange) {
        if (!Boolean.TRUE.equals(exchange.getProperty(ExchangePropertyKey.DUPLICATE_MESSAGE, Boolean.class))) {
            return;
        }
        // the key itself may be personal data (an e-mail, an order id); the message id is enough to trace
        LOG.debug("workflow {}: duplicate message {} skipped and acknowledged", workflowId, exchange.getExchangeId());
        events.duplicate(workflowId, nodeId);
    }
}
