package io.caravan.compile.errors;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.compile.Runs;
import java.util.List;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * What a failed run's exchange says about its failure, for compiled routes: the error code it
 * maps to, and the predicates of a workflow's {@code onException} clauses, which the
 * {@code caravan} language offers as {@code retry(...)}, {@code failedIn(...)},
 * {@code deadLetter(...)} and {@code handled(...)} (see {@link #predicate}). Everything comes
 * from the exchange, nothing from the workflow: a broker node's {@code caravan:enter} step names
 * its broker, queue and credential ({@link Runs#BROKER}), and a failure there is classified by
 * that broker's binding.
 */
public final class Failures {

    private Failures() {
    }

    /** The failure being handled as a CaravanException naming its node. */
    public static CaravanException classify(Exchange exchange) {
        Runs.Failure failure = Runs.failure(exchange);
        return classify(exchange, failure.cause(), failure.node());
    }

    static CaravanException classify(Exchange exchange, Throwable cause, String nodeId) {
        if (cause instanceof CaravanException ce) {
            return ce.inNode(nodeId);
        }
        Runs.Broker broker = exchange.getProperty(Runs.BROKER, Runs.Broker.class);
        if (cause != null && broker != null && broker.channel().nodeId().equals(nodeId)) {
            Channel channel = broker.channel();
            var binding = Bindings.forQueueType(broker.queueType());
            if (binding.isPresent()) {
                return binding.get().provisioner().classify(cause, channel).inNode(nodeId);
            }
        }
        String message = cause == null ? "unknown failure"
                : cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        return new CaravanException(ErrorCode.INTERNAL, message, nodeId, cause);
    }

    /** The predicate functions this class gives the {@code caravan} language. */
    public static final List<String> FUNCTIONS = List.of("retry", "failedIn", "deadLetter", "handled");

    /**
     * One of the clause predicates, or null when {@code text} is none of them:
     * <ul>
     * <li>{@code retry(<node>, <CODE>, ...)}: the failure happened in the node and its code is one of those (a retry clause's {@code onWhen});</li>
     * <li>{@code failedIn(<node>, ...)}: it happened in one of the nodes (the clause of their own dead letter);</li>
     * <li>{@code deadLetter(own|default)}: the clause's dead letter is sent: the run came from a broker and
     * is not a loop item, and a {@code default} one (the trigger broker's) gives way to a source that dead-letters by itself;</li>
     * <li>{@code handled(reply|none|own|default)}: the run counts as handled: always when the trigger answers (a webhook),
     * when a loop item or branch failed (its loop fails the run later), or when the dead letter is sent.
     * Camel decides this before the clause's steps run: a dead letter that cannot be sent fails the exchange again
     * inside the clause, so the source message is then not acknowledged.</li>
     * </ul>
     */
    public static Predicate predicate(String text) {
        int open = text.indexOf('(');
        if (open < 0 || !text.endsWith(")")) {
            return null;
        }
        String function = text.substring(0, open).trim();
        if (!FUNCTIONS.contains(function)) {
            return null;
        }
        List<String> args = java.util.Arrays.stream(text.substring(open + 1, text.length() - 1).split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        return switch (function) {
            case "retry" -> retry(args);
            case "failedIn" -> failedIn(Set.copyOf(args));
            case "deadLetter" -> deadLetter(oneOf(args, "own", "default"));
            default -> handled(oneOf(args, "reply", "none", "own", "default"));
        };
    }

    private static String oneOf(List<String> args, String... allowed) {
        if (args.size() != 1 || !List.of(allowed).contains(args.get(0))) {
            throw new IllegalArgumentException("expected one of " + String.join(", ", allowed) + ", found " + args);
        }
        return args.get(0);
    }

    private static Predicate retry(List<String> args) {
        if (args.size() < 2) {
            throw new IllegalArgumentException("retry(<node>, <CODE>, ...) needs a node and at least one error code");
        }
        String nodeId = args.get(0);
        List<String> codes = args.subList(1, args.size());
        for (String code : codes) {
            ErrorCode.valueOf(code); // an unknown code fails when the route starts
        }
        return described(exchange -> {
            Runs.Failure failure = Runs.failure(exchange);
            return nodeId.equals(failure.node()) && failure.cause() != null
                    && codes.contains(classify(exchange, failure.cause(), nodeId).code().name());
        }, "retry(" + String.join(", ", args) + ")");
    }

    private static Predicate failedIn(Set<String> nodes) {
        return described(exchange -> nodes.contains(Runs.failure(exchange).node()), "failedIn(" + nodes + ")");
    }

    private static Predicate deadLetter(String which) {
        boolean byDefault = which.equals("default");
        return described(exchange -> sendsDeadLetter(exchange, byDefault), "deadLetter(" + which + ")");
    }

    private static boolean sendsDeadLetter(Exchange exchange, boolean byDefault) {
        return exchange.getProperty(Runs.ORIGINAL) != null && !Runs.inItem(exchange)
                && !(byDefault && Messages.sourceDeadLetters(exchange));
    }

    private static Predicate handled(String how) {
        return described(exchange -> {
            if (Runs.inItem(exchange)) {
                // a for_each item's failure is recorded and fails the run after the loop: an item
                // exchange that failed unhandled would leave the run's exchange "exhausted", and Camel
                // would then skip the route's error handling for it (MulticastProcessor.doDone)
                return true;
            }
            return switch (how) {
                case "reply" -> true;
                case "none" -> false;
                default -> sendsDeadLetter(exchange, how.equals("default"));
            };
        }, "handled(" + how + ")");
    }

    private static Predicate described(java.util.function.Predicate<Exchange> test, String text) {
        return new Predicate() {
            @Override
            public boolean matches(Exchange exchange) {
                return test.test(exchange);
            }

            @Override
            public String toString() {
                return text;
            }
        };
    }
}
