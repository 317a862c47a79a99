package io.caravan.compile.errors;

import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Whether a failed run counts as handled. A webhook run always is (the caller gets the error
 * answer); a consumed message is when its failure has a dead-letter destination. Camel decides
 * this before the clause's steps run, so it cannot wait for the dead letter's confirmation:
 * instead, a dead letter that cannot be sent throws inside the clause, which fails the exchange
 * again, and the consumer then does not delete, commit or acknowledge. Without a dead letter
 * (or with a native one) the failure reaches the consumer the same way.
 */
public final class HandledPredicate implements Predicate {

    private final boolean replies;
    private final DeadLetterProcessor deadLetter;

    HandledPredicate(boolean replies, DeadLetterProcessor deadLetter) {
        this.replies = replies;
        this.deadLetter = deadLetter;
    }

    @Override
    public boolean matches(Exchange exchange) {
        return replies || (deadLetter != null && deadLetter.sendsFor(exchange));
    }
}
