package io.caravan.compile;

import io.caravan.CaravanException;
import io.caravan.template.RunContext;
import java.util.concurrent.atomic.AtomicReference;
import java.util.HashMap;
import java.util.Map;
import org.apache.camel.Exchange;

/**
 * Where a workflow run lives on its exchange: the run context, the node running now, and the
 * inbound headers the consumer still needs when the exchange completes.
 */
public final class Runs {

    /** Exchange property holding the {@link RunContext}. */
    public static final String RUN = "CaravanRun";
    /** Exchange property holding the id of the node that is running (or failed). */
    public static final String NODE = "CaravanNode";
    private static final String STASHED_HEADERS = "CaravanStashedHeaders";
    /** Exchange property: the message as it arrived, for a dead-letter queue. */
    public static final String ORIGINAL = "CaravanOriginal";
    /**
     * Exchange property: redeliveries made so far. Counted by Caravan because Camel clears its
     * redelivery headers before a handled onException clause runs.
     */
    public static final String REDELIVERIES = "CaravanRedeliveries";
    /**
     * Exchange property: the broker the running node talks to ({@code caravan:enter} of a
     * send_message), so that its failure is classified by that broker's binding.
     */
    public static final String BROKER = "CaravanBroker";

    /** A broker node's broker ({@code queue_type}) and channel (node, credential, address). */
    public record Broker(String queueType, io.caravan.binding.Channel channel) {
    }

    /** Exchange property: set while the message goes to its dead-letter destination (the send after it is the letter). */
    public static final String DEAD_LETTERING = "CaravanDeadLettering";
    /** Exchange property: set once the message is confirmed in its dead-letter destination. */
    public static final String DEAD_LETTERED = "CaravanDeadLettered";
    /** Exchange property: the compensations that failed, described, for the dead letter's attributes. */
    public static final String COMPENSATION_FAILED = "CaravanCompensationFailed";

    /**
     * The message as the trigger received it: body, user attributes, where it came from, and
     * the broker's key and partition (Kafka) so a dead letter keeps them. {@code raw} is the body's
     * bytes as the broker gave them, where its consumer keeps them (RabbitMQ), else null: a dead
     * letter carries them unchanged, even when they are not UTF-8.
     */
    public record Original(String body, java.util.Map<String, String> attributes, String source, String key,
                           Integer partition, byte[] raw) {

        public Original(String body, java.util.Map<String, String> attributes, String source, String key,
                        Integer partition) {
            this(body, attributes, source, key, partition, null);
        }

        /** What a dead letter carries: the broker's bytes where known, else the text. */
        public Object deadLetterBody() {
            return raw != null ? raw : body;
        }
    }

    private Runs() {
    }

    /** Exchange property on a for_each item's or a parallel branch's exchange: the id of that for_each or parallel. */
    public static final String LOOP = "CaravanLoop";
    private static final String ITEM_FAILURE = "CaravanItemFailure.";

    /**
     * Whether the exchange is one item of a for_each or one branch of a parallel: a split's or a
     * multicast's copy of the run's exchange. Its failure is handled there, but only recorded (see
     * {@link #failItem}); the run's exchange fails with it once the loop or the join is over, so
     * that the run is dead-lettered and answered once.
     */
    public static boolean inItem(Exchange exchange) {
        return exchange.getProperty(LOOP) != null;
    }

    /**
     * Starts a loop item or a parallel branch on its exchange (a copy of the run's): {@code copy}
     * is its own run, and its failures are recorded for {@code ownerId}, the for_each or parallel.
     */
    public static void startCopy(Exchange exchange, RunContext copy, String ownerId) {
        start(exchange, copy);
        exchange.setProperty(LOOP, ownerId);
    }

    /** Opens the failure slot of a loop's items on the run's exchange. */
    public static AtomicReference<CaravanException> openItemFailures(Exchange exchange, String loopId) {
        AtomicReference<CaravanException> slot = new AtomicReference<>();
        exchange.setProperty(ITEM_FAILURE + loopId, slot);
        return slot;
    }

    /** Records an item's failure for its loop (the first one wins); the loop stops taking items. */
    @SuppressWarnings("unchecked")
    public static void failItem(Exchange exchange, CaravanException error) {
        String loop = exchange.getProperty(LOOP, String.class);
        var slot = (AtomicReference<CaravanException>)
                exchange.getProperty(ITEM_FAILURE + loop);
        slot.compareAndSet(null, error);
    }

    /** The failure of a loop's items, or null; clears the slot. */
    @SuppressWarnings("unchecked")
    public static CaravanException closeItemFailures(Exchange exchange, String loopId) {
        var slot = (AtomicReference<CaravanException>)
                exchange.removeProperty(ITEM_FAILURE + loopId);
        return slot == null ? null : slot.get();
    }

    /** Where and why a run failed: the node and the failure. */
    public record Failure(String node, Throwable cause) {
    }

    /**
     * The failure being handled on {@code exchange} and the node it happened in: the node a
     * CaravanException names (a loop's failure names the body node its item failed in), else the
     * node that was running.
     */
    public static Failure failure(Exchange exchange) {
        Throwable cause = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String node = cause instanceof CaravanException ce && ce.node() != null ? ce.node()
                : exchange.getProperty(NODE, String.class);
        return new Failure(node, cause);
    }

    public static RunContext of(Exchange exchange) {
        RunContext run = exchange.getProperty(RUN, RunContext.class);
        if (run == null) {
            throw new IllegalStateException("exchange " + exchange.getExchangeId() + " has no Caravan run");
        }
        return run;
    }

    public static void start(Exchange exchange, RunContext run) {
        run.useClock(clock(exchange.getContext()));
        exchange.setProperty(RUN, run);
    }

    /** Registry name of the {@link java.time.Clock} runs read the time from; `caravan test` binds a fixed one. */
    public static final String CLOCK = "caravan-clock";

    /** The clock of the runs in {@code context}: the bound {@link #CLOCK}, else the system's (UTC). */
    public static java.time.Clock clock(org.apache.camel.CamelContext context) {
        java.time.Clock bound = context.getRegistry().lookupByNameAndType(CLOCK, java.time.Clock.class);
        return bound != null ? bound : java.time.Clock.systemUTC();
    }

    /** Now, by the clock of the runs of the exchange's context. */
    public static java.time.Instant now(Exchange exchange) {
        return clock(exchange.getContext()).instant();
    }

    /**
     * Drops every inbound header. Inbound headers are untrusted: Camel producers read control
     * headers (kafka.OVERRIDE_TOPIC, CamelAwsSqsOperation, ...) and Camel 4.17 does not filter
     * them on the way in. A trigger keeps what it needs of them in the run's data.
     */
    public static void dropInboundHeaders(Exchange exchange) {
        exchange.getIn().getHeaders().clear();
    }

    /** Moves all headers aside so that a producer sees only the headers its node sets. */
    public static void stashHeaders(Exchange exchange) {
        exchange.setProperty(STASHED_HEADERS, new HashMap<>(exchange.getIn().getHeaders()));
        exchange.getIn().getHeaders().clear();
    }

    /** Drops what a producer left in the headers and puts the stashed ones back. */
    @SuppressWarnings("unchecked")
    public static void restoreHeaders(Exchange exchange) {
        Map<String, Object> stashed = exchange.getProperty(STASHED_HEADERS, Map.class);
        exchange.getIn().getHeaders().clear();
        if (stashed != null) {
            exchange.getIn().getHeaders().putAll(stashed);
            exchange.removeProperty(STASHED_HEADERS);
        }
    }
}
