package io.caravan.compile.errors;

import io.caravan.compile.Runs;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Whether a failed run counts as handled. A webhook run always is (the caller gets the error
 * answer); a consumed message only once it is safely in its dead-letter destination. Otherwise
 * the failure reaches the consumer, which then does not delete, commit or acknowledge.
 */
public final class HandledPredicate implements Predicate {

    private final boolean replies;

    HandledPredicate(boolean replies) {
        this.replies = replies;
    }

    @Override
    public boolean matches(Exchange exchange) {
        return replies || Boolean.TRUE.equals(exchange.getProperty(Runs.DEAD_LETTERED, Boolean.class));
    }
}
