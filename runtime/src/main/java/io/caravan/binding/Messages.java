package io.caravan.binding;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * How a message passes between a broker's component and a workflow route, the same for every
 * broker, so that the compiler needs nothing of a broker but its endpoint URIs.
 *
 * <p><b>Consumers</b> put each message on its exchange as the property {@link #RECEIVED} (a
 * {@link ReceivedMessage} in the seed's shape, attributes included) and its body as the body, and
 * set no header: what arrived with a message is data, never an instruction to Camel. A consumer
 * keeps what it needs to acknowledge the message in its own state.
 *
 * <p><b>Producers</b> send the body, and every header that is not a control name (see
 * {@link BindingSupport#isControlName}) as an attribute (SQS message attribute, Kafka or AMQP
 * header, Redis entry field). A send node's per-message broker fields (Kafka's {@code key}) come
 * as {@link #field} headers, and {@link #PARTITION} asks for a partition where the broker has
 * them. Once the broker has confirmed the send, the producer sets {@link #MESSAGE_ID}.
 */
public final class Messages {

    /** Exchange property: the {@link ReceivedMessage} a consumer took from its broker. */
    public static final String RECEIVED = "CaravanReceived";
    /**
     * Exchange property a consumer sets (true) when its source dead-letters by itself (an SQS
     * queue with a redrive policy): a workflow's default dead letter then gives way to it.
     */
    public static final String SOURCE_DEAD_LETTERS = "CaravanSourceDeadLetters";
    /** Header a producer sets once the broker confirmed: the id the broker gave (or Caravan set on) the message. */
    public static final String MESSAGE_ID = "CamelCaravanMessageId";
    /** Header: the partition to send to, when the destination has it (a dead letter keeps the source's). */
    public static final String PARTITION = "CamelCaravanPartition";
    private static final String FIELD_PREFIX = "CamelCaravanField.";
    /**
     * Header: the message key, where the broker has keys (a Kafka record key). It is the header of
     * a send field named {@code key}, and a dead letter passes the original's key in it.
     */
    public static final String KEY = FIELD_PREFIX + "key";

    /** Header: a send's rendered {@code delay} (a duration). */
    public static final String DELAY = FIELD_PREFIX + "delay";
    /** Header: a send's rendered {@code priority} (0 to 9). */
    public static final String PRIORITY = FIELD_PREFIX + "priority";

    private Messages() {
    }

    /** The header carrying a send node's rendered broker field {@code name} (e.g. Kafka's key). */
    public static String field(String name) {
        return FIELD_PREFIX + name;
    }

    /** The send's delay, or empty; a rendered value that is no duration fails the send, naming it. */
    public static java.util.Optional<java.time.Duration> delay(Message message) {
        String text = message.getHeader(DELAY, String.class);
        if (text == null || text.isBlank()) {
            return java.util.Optional.empty();
        }
        java.time.Duration d = io.caravan.spec.Durations.parse(text.strip()).filter(x -> !x.isNegative())
                .orElseThrow(() -> new io.caravan.CaravanException(io.caravan.ErrorCode.BAD_PAYLOAD,
                        "delay '" + text + "' is not " + io.caravan.spec.Durations.FORM));
        return java.util.Optional.of(d);
    }

    /** The send's priority, or empty; a rendered value outside 0-9 fails the send, naming it. */
    public static java.util.Optional<Integer> priority(Message message) {
        String text = message.getHeader(PRIORITY, String.class);
        if (text == null || text.isBlank()) {
            return java.util.Optional.empty();
        }
        if (!text.strip().matches("[0-9]")) {
            throw new io.caravan.CaravanException(io.caravan.ErrorCode.BAD_PAYLOAD,
                    "priority '" + text + "' is not a whole number from 0 to 9");
        }
        return java.util.Optional.of(Integer.parseInt(text.strip()));
    }

    /** The message a consumer put on the exchange. */
    public static ReceivedMessage received(Exchange exchange) {
        ReceivedMessage message = exchange.getProperty(RECEIVED, ReceivedMessage.class);
        if (message == null) {
            throw new IllegalStateException("exchange " + exchange.getExchangeId() + " carries no received message;"
                    + " a trigger must consume from one of Caravan's broker components");
        }
        return message;
    }

    /** Whether the consumer said its source dead-letters by itself. */
    public static boolean sourceDeadLetters(Exchange exchange) {
        return Boolean.TRUE.equals(exchange.getProperty(SOURCE_DEAD_LETTERS));
    }

    /** The headers a producer sends as attributes: every one but control names, as text. */
    public static Map<String, String> attributes(Message message) {
        Map<String, String> out = new LinkedHashMap<>();
        message.getHeaders().forEach((name, value) -> {
            if (value != null && !BindingSupport.isControlName(name)) {
                out.put(name, BindingSupport.text(value));
            }
        });
        return out;
    }
}
