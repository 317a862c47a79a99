package io.caravan.binding;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.spec.Field;
import io.caravan.workflow.NodeSpecs;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/** Small helpers every binding needs: spotting control headers, reading node limits, wording failures. */
public final class BindingSupport {

    private static final Pattern USER_INFO = Pattern.compile("([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\\s]+@");

    private BindingSupport() {
    }

    /**
     * Whether a header or attribute name is one Camel or a component reads as an instruction
     * ({@code Camel*}, {@code kafka.*}, {@code org.apache.camel.*}). Such names are never user
     * attributes: inbound they are dropped, outbound they are not sent (FIELD-NOTES, CVE-2025-27636).
     */
    public static boolean isControlName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.startsWith("camel") || n.startsWith("kafka.") || n.startsWith("org.apache.camel");
    }

    /**
     * receive_message on a broker with consumer groups (Kafka, Redis): the group to read in,
     * instead of {@code <credential consumer_group>.<workflow id>}.
     */
    public static final Field CONSUMER_GROUP = Field.string("consumer_group", "the consumer group this node reads"
            + " in; default: <the credential's consumer_group>.<workflow id> (each workflow is its own subscriber"
            + " and gets every message; instances running one workflow share its messages)").withExample("\"billing\"");

    /** Runs a consumer starts at once when the node does not say ({@link #THREADS}). */
    public static final int DEFAULT_THREADS = 32;

    /** receive_message on a broker whose consumer hands runs to worker threads: how many. */
    public static final Field THREADS = Field.wholeNumber("threads", "a trigger: worker threads that run its messages"
            + " (default " + DEFAULT_THREADS + "), so blocking steps (http, delay, a workflow call, a pull, a request)"
            + " run side by side while ordering holds back a key's next message; Redis, SQS and RabbitMQ triggers of a"
            + " workflow without a blocking step run on the consumer's thread unless this is set").between(1, 256).withExample("32");

    /** send_message: wait this long for the answer (reply). */
    public static final Field REPLY_TIMEOUT = Field.duration("timeout", "how long to wait for the answer; then the"
            + " node fails with REPLY_TIMEOUT (retry and error branches apply)").mustBePositive()
            .withDefault(java.time.Duration.ofSeconds(5)).withExample("5s");

    /**
     * send_message's {@code reply}: wait for one answer and put it in the output as
     * {@code reply: {body, attributes}}. {@code replyTo}: the broker needs a place named for answers
     * (a Kafka topic, an SQS queue); null where it has its own (RabbitMQ's direct reply-to).
     */
    public static Field reply(Field replyTo, String how) {
        List<Field> fields = replyTo == null ? List.of(REPLY_TIMEOUT) : List.of(REPLY_TIMEOUT, replyTo);
        return Field.object("reply", fields, "request-reply: wait for one answer, matched by a correlation_id the send"
                + " carries, and put it in the output as reply: {body, attributes} (body parsed when it is JSON); "
                + how).withExample("{timeout: 5s}");
    }

    /** The node's own consumer group and the workflow id, as consumer URI options: {@code &workflow=..[&group=..]}. */
    public static String groupOptions(Channel channel) {
        StringBuilder options = new StringBuilder("&workflow=").append(q(channel.workflowId()));
        field(channel, CONSUMER_GROUP).ifPresent(group -> options.append("&group=").append(q(group)));
        return options.toString();
    }

    /** The node's ordering and threads, when it sets them, as consumer URI options: {@code &ordering=..&threads=..}. */
    public static String orderingOptions(Channel channel) {
        StringBuilder options = new StringBuilder();
        field(channel, NodeSpecs.Receive.ORDERING).ifPresent(o -> options.append("&ordering=").append(o));
        if (channel.config() != null && channel.config().has(THREADS)) {
            options.append("&threads=").append(channel.config().number(THREADS));
        }
        return options.toString();
    }

    /** The node's own consumer group, or null when it names none. */
    /**
     * The consumer group a workflow's trigger reads in (Kafka, Redis): the node's own
     * {@code consumer_group}, else {@code <credential consumer_group>.<workflow id>}, or the
     * workflow id when the credential names none. Each workflow is its own subscriber; instances
     * of one workflow share its group.
     */
    public static String groupName(String credentialGroup, String workflowId, String explicit) {
        if (explicit != null && !explicit.isBlank()) {
            return explicit;
        }
        return credentialGroup == null || credentialGroup.isBlank() ? workflowId : credentialGroup + "." + workflowId;
    }

    public static String explicitGroup(Channel channel) {
        return field(channel, CONSUMER_GROUP).orElse(null);
    }

    /** The node's max_messages, or the seed's 10 when it does not set one. */
    public static int maxMessages(Channel channel) {
        if (channel.config() != null && channel.config().has(NodeSpecs.Receive.MAX_MESSAGES)) {
            return (int) Math.max(1, channel.config().number(NodeSpecs.Receive.MAX_MESSAGES));
        }
        return NodeSpecs.Receive.DEFAULT_PULL;
    }

    /** Whether the node sets max_messages itself (a trigger otherwise sizes its own batches). */
    public static boolean setsMaxMessages(Channel channel) {
        return channel.config() != null && channel.config().has(NodeSpecs.Receive.MAX_MESSAGES);
    }

    public static Duration waitTime(Channel channel) {
        if (channel.config() != null && channel.config().has(NodeSpecs.Receive.WAIT_TIME)) {
            return channel.config().duration(NodeSpecs.Receive.WAIT_TIME);
        }
        return (Duration) NodeSpecs.Receive.WAIT_TIME.defaultValue();
    }

    /** A broker-specific node field, or empty when absent or blank. */
    public static Optional<String> field(Channel channel, Field field) {
        if (channel.config() == null) {
            return Optional.empty();
        }
        return Optional.ofNullable(channel.config().string(field)).filter(s -> !s.isBlank());
    }

    /** Encodes a value for an endpoint URI query. */
    public static String q(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    public static String iso(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }

    /** The first cause of the given type in the chain, if any. */
    public static <T extends Throwable> Optional<T> cause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }

    /**
     * Refused, reset, closed without an answer, unknown host, unroutable or timed out: the broker
     * could not be reached. "Closed without an answer" is Apache HttpClient's
     * NoHttpResponseException (the AWS SDK's HTTP client), matched by name so that this class
     * needs no HTTP client: an SQS server going down mid-request answers with nothing.
     */
    public static boolean isUnreachable(Throwable failure) {
        // SocketException covers refused (ConnectException), reset and unroutable (NoRouteToHostException)
        return cause(failure, SocketException.class).isPresent()
                || cause(failure, UnknownHostException.class).isPresent()
                || cause(failure, SocketTimeoutException.class).isPresent()
                || causeNamed(failure, "NoHttpResponseException");
    }

    private static boolean causeNamed(Throwable failure, String simpleName) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getClass().getSimpleName().equals(simpleName)) {
                return true;
            }
        }
        return false;
    }

    /** A TLS handshake that failed (a certificate nobody trusted, a host name that does not match): a connection failure. */
    public static boolean isTlsFailure(Throwable failure) {
        return cause(failure, javax.net.ssl.SSLException.class).isPresent();
    }

    /**
     * The failure's own message (the deepest one that says something), with any
     * {@code scheme://user:password@} part masked so a URL in a client message leaks no secret.
     */
    public static String brokerMessage(Throwable failure) {
        String message = null;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage();
            }
        }
        if (message == null) {
            message = failure.getClass().getSimpleName();
        }
        return USER_INFO.matcher(message).replaceAll("$1***@");
    }

    public static CaravanException connectionFailed(String queueType, String address, Throwable failure, Channel channel) {
        return new CaravanException(ErrorCode.CONNECTION_FAILED,
                "cannot reach " + queueType + " at " + address + ": " + brokerMessage(failure),
                channel == null ? null : channel.nodeId(), failure);
    }

    public static CaravanException queueNotFound(String queueType, String queue, Throwable failure, Channel channel) {
        return new CaravanException(ErrorCode.QUEUE_NOT_FOUND,
                queueType + " queue not found: " + queue + ": " + brokerMessage(failure),
                channel == null ? null : channel.nodeId(), failure);
    }

    public static CaravanException other(String queueType, Throwable failure, Channel channel) {
        return new CaravanException(ErrorCode.INTERNAL, queueType + " call failed: " + brokerMessage(failure),
                channel == null ? null : channel.nodeId(), failure);
    }

    /** A body or header value as text: byte[] (and AMQP LongString) values are UTF-8. */
    public static String text(Object value) {
        if (value == null) {
            return null;
        }
        return value instanceof byte[] b ? new String(b, java.nio.charset.StandardCharsets.UTF_8) : value.toString();
    }
}
