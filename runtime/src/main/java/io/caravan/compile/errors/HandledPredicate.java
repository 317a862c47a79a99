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
        if (io.caravan.compile.Runs.inItem(exchange)) {
            // a for_each item's failure is recorded and fails the run after the loop: an item
            // exchange that failed unhandled would leave the run's exchange "exhausted", and Camel
            // would then skip the route's error handling for it (MulticastProcessor.doDone)
            return true;
        }
        return replies || (deadLetter != null && deadLetter.sendsFor(exchange));
    }
}
