package io.caravan.spec;

/**
 * What a broker can do, declared on its {@link BrokerSpec}. The core asks these instead of
 * naming a broker: whether {@code dead_letter: {native: true}} means anything, where a failed
 * message goes when a workflow names no dead letter, and what order and delivery features the
 * broker offers.
 *
 * @param nativeDeadLetter  how the broker dead-letters by itself (e.g. "the queue's redrive
 *                          policy"), or null when it cannot: then {@code native: true} is an error
 * @param defaultDeadLetter where a message whose run failed for good goes when the workflow names
 *                          no dead letter: a pattern in which {@code {source}} is the source's
 *                          address (e.g. {@code {source}.dlq}), on the source's own broker and
 *                          credential; null when the broker keeps such a message itself
 * @param ordering          the unit within which the broker keeps messages in order
 * @param deliveryCount     whether the broker counts a message's deliveries across restarts of
 *                          its consumers (so a message that keeps failing can be told apart)
 * @param maxDelay          the longest a message can be delayed ({@code send_message.delay}), or
 *                          null when the broker cannot delay
 * @param priority          whether messages can jump the queue by priority
 * @param fifo              whether the broker offers strictly ordered groups (FIFO queues)
 * @param runOrders         the {@code ordering} values a receive_message trigger on this broker
 *                          accepts, its default first
 */
public record Capabilities(String nativeDeadLetter, String defaultDeadLetter, Ordering ordering,
                           boolean deliveryCount, java.time.Duration maxDelay, boolean priority, boolean fifo,
                           java.util.List<RunOrder> runOrders) {

    public Capabilities {
        runOrders = java.util.List.copyOf(runOrders);
        if (runOrders.isEmpty()) {
            throw new IllegalArgumentException("a broker offers at least one run order");
        }
    }

    /**
     * How a trigger's runs wait for each other ({@code ordering} on receive_message). Whatever the
     * order, a source is acknowledged only up to its first unfinished message.
     */
    public enum RunOrder {
        /** A message starts once the previous one with its key (Kafka record key) finished; keys run side by side. */
        KEY("key"),
        /** A message starts once the previous one of its partition finished: one run at a time per partition. */
        PARTITION("partition"),
        /** Runs start as messages arrive, up to the concurrency bound; no order between them is promised. */
        NONE("none");

        private final String wireName;

        RunOrder(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        public static java.util.List<String> wireNames() {
            return java.util.Arrays.stream(values()).map(RunOrder::wireName).toList();
        }

        public static RunOrder of(String wireName) {
            return java.util.Arrays.stream(values()).filter(o -> o.wireName.equals(wireName)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no run order " + wireName));
        }
    }

    /** Whether a message can be delivered after a delay. */
    public boolean delay() {
        return maxDelay != null;
    }

    /** The order a trigger keeps when its node does not say. */
    public RunOrder defaultRunOrder() {
        return runOrders.get(0);
    }

    /** The unit within which a broker delivers messages in the order they were sent. */
    public enum Ordering {
        /** No order is promised. */
        NONE("none"),
        /** A partition: records with one key go to one partition. */
        PARTITION("per partition (records with one key share a partition)"),
        /** A queue, while one consumer reads it. */
        QUEUE("per queue, with one consumer"),
        /** A message group of a FIFO queue. */
        MESSAGE_GROUP("per message group (FIFO queues)"),
        /** A stream: entries keep the order they were added in. */
        STREAM("per stream");

        private final String shown;

        Ordering(String shown) {
            this.shown = shown;
        }

        public String shown() {
            return shown;
        }
    }

    public boolean hasNativeDeadLetter() {
        return nativeDeadLetter != null;
    }

    /** The default dead-letter destination of a source, or null when there is none. */
    public String defaultDeadLetterFor(String source) {
        return defaultDeadLetter == null ? null : defaultDeadLetter.replace("{source}", source);
    }
}
