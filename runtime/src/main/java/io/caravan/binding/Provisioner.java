package io.caravan.binding;

import io.caravan.CaravanException;
import io.caravan.credential.Credential;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.camel.CamelContext;

/**
 * What Caravan does with a broker outside a route (the provisioning half of a binder): bind a
 * credential's clients, make a destination exist, pull a bounded batch, ask a queue's depth, and
 * name a failure in the seed's terms.
 */
public interface Provisioner {

    /**
     * Puts the clients or connection factories for {@code credential} into the registry under
     * {@link Bindings#beanName(String)}, so endpoint URIs refer to them and carry no secret.
     * Connects lazily: a broker that is down does not fail this.
     */
    void bind(CamelContext context, Credential credential);

    /**
     * Makes sure the channel's queue, topic or stream exists, creating it if it does not: what an
     * operator does before a deploy, done by {@code caravan dev} and tests. {@code caravan run}
     * never calls it (a missing SQS queue is QUEUE_NOT_FOUND there). {@code consumed}: the
     * channel's workflow reads it (a broker with a group per reader makes the group too).
     */
    void provision(CamelContext context, Channel channel, boolean consumed) throws Exception;

    /**
     * A receive_message action: takes up to {@code max} messages within {@code wait};
     * acknowledges (deletes, commits) them only when {@code deleteAfter}, and otherwise leaves them
     * to be delivered again.
     */
    List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait, boolean deleteAfter)
            throws Exception;

    /**
     * How many messages wait at the channel's address, for metrics and readiness. Empty when the
     * address is not a queue (a RabbitMQ exchange). Throws when the broker cannot be asked;
     * {@link #classify} says why. Never changes anything.
     */
    Optional<QueueDepth> depth(CamelContext context, Channel channel) throws Exception;

    /**
     * What the broker says is wrong with {@code credential}, asked by {@code caravan validate}: a
     * virtual host that does not exist, a refused login. Empty when all is well, when the broker
     * does not answer within {@code timeout} (validate must work without brokers), or when the
     * binding has nothing to ask. Never binds or changes anything; the answer holds no secret.
     */
    default Optional<String> probe(Credential credential, Duration timeout) {
        return Optional.empty();
    }

    /** Maps a client exception to CONNECTION_FAILED, QUEUE_NOT_FOUND, ... with the broker's own words, never a secret. */
    CaravanException classify(Throwable failure, Channel channel);

    /**
     * The reply node: sends {@code body} with {@code attributes} to {@code replyTo} (the channel's
     * address, on its credential) carrying {@code correlationId} as the broker's convention has it,
     * and returns once the broker confirmed it, with the message id. Brokers without replies throw.
     */
    default String reply(CamelContext context, Channel channel, String correlationId, String body,
                         java.util.Map<String, String> attributes) throws Exception {
        throw new UnsupportedOperationException("this broker cannot send replies");
    }

    /** An answer to a request: its body and attributes (headers, message attributes), and its message id. */
    record Reply(String body, java.util.Map<String, String> attributes) {
    }

    /**
     * send_message with {@code reply}: sends {@code body} with {@code attributes} to the channel's
     * address with a fresh correlation id and where to answer, and waits up to {@code timeout}
     * for the answer with that id. Returns the answer, or empty when none came in time.
     * {@code replyTo}: the topic or queue answers come to, where the broker needs one.
     */
    default Optional<Reply> request(CamelContext context, Channel channel, String body, java.util.Map<String, String> attributes,
                                    String replyTo, Duration timeout) throws Exception {
        throw new UnsupportedOperationException("this broker cannot wait for replies");
    }

    /**
     * Opens the dead-letter destination {@code channel.address()} for browsing and redrive (see
     * {@link DeadLetterQueue}); the credential must be bound in {@code context}.
     */
    default DeadLetterQueue deadLetters(CamelContext context, Channel channel) throws Exception {
        throw new UnsupportedOperationException("this broker cannot browse dead letters");
    }

    /**
     * The queue the broker's own dead-letter mechanism moves {@code channel}'s failed messages to,
     * when the broker says (SQS: the source queue's redrive policy); empty otherwise.
     */
    default Optional<String> nativeDeadLetter(CamelContext context, Channel channel) throws Exception {
        return Optional.empty();
    }
}
