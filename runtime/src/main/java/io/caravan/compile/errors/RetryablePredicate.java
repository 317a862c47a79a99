package io.caravan.compile.errors;

import io.caravan.CaravanException;
import io.caravan.compile.Runs;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * The {@code onWhen} of one node's retry clause: the failure happened in that node and its code
 * is one of the node's {@code retry_on}. Anything else is not retried.
 */
public final class RetryablePredicate implements Predicate {

    private final String nodeId;
    private final List<String> retryOn;
    private final BiFunction<Throwable, String, CaravanException> classify;

    RetryablePredicate(String nodeId, List<String> retryOn, BiFunction<Throwable, String, CaravanException> classify) {
        this.nodeId = nodeId;
        this.retryOn = List.copyOf(retryOn);
        this.classify = classify;
    }

    @Override
    public boolean matches(Exchange exchange) {
        if (!nodeId.equals(exchange.getProperty(Runs.NODE, String.class))) {
            return false;
        }
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        return failure != null && retryOn.contains(classify.apply(failure, nodeId).code().name());
    }

    @Override
    public String toString() {
        return nodeId + " failed with one of " + retryOn;
    }
}
