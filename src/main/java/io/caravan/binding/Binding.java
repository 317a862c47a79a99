package io.caravan.binding;

import io.caravan.CaravanException;
import io.caravan.credential.Credential;
import io.caravan.spec.BrokerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;

/**
 * Everything Caravan knows about one broker, behind one small interface: the compiler and the
 * runtime call only this. A new broker is one new sub-package with one implementation, listed
 * once in {@link Bindings}.
 */
public interface Binding {

    /** Its queue_type, credential type and extra node fields. */
    BrokerSpec spec();

    default String queueType() {
        return spec().queueType();
    }

    /**
     * Puts the clients or connection factories for {@code credential} into the registry under
     * {@link Bindings#beanName(String)}, so endpoint URIs refer to them and carry no secret.
     */
    void bind(CamelContext context, Credential credential);

    /** The endpoint URI that consumes {@code channel.address()} continuously (a trigger). */
    String consumerUri(Channel channel);

    /**
     * The consumer URI when failed messages go to the broker's own dead-letter mechanism
     * ({@code dead_letter: {native: true}}): a failure must reach the broker as a rejection.
     * Brokers where a failed run already does that (SQS: the message is not deleted and the
     * redrive policy moves it) need nothing more.
     */
    default String consumerUri(Channel channel, boolean nativeDeadLetter) {
        return consumerUri(channel);
    }

    /** The endpoint URI that sends to {@code channel.address()}. */
    String producerUri(Channel channel);

    /**
     * Header names the consumer itself reads when the exchange completes (to delete, ack or
     * commit). The trigger keeps these and drops every other inbound header.
     */
    Set<String> consumerHeaders();

    /** Reads what the consumer put on the exchange into the seed's message shape. */
    ReceivedMessage received(Exchange exchange);

    /**
     * Sets the headers the producer of {@link #producerUri} needs to send {@code attributes}
     * and the binding's own rendered send fields (e.g. a Kafka key). The exchange has no other
     * header when this is called, and its body is the message.
     */
    void prepareSend(Exchange exchange, Channel channel, Map<String, String> attributes,
                     Map<String, String> renderedFields);

    /** The id the broker gave (or Caravan set on) the message just sent. */
    String sentMessageId(Exchange exchange);

    /**
     * A receive_message action: takes up to {@code max} messages within {@code wait};
     * acknowledges/deletes/commits them only when {@code deleteAfter}.
     */
    List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait,
                               boolean deleteAfter) throws Exception;

    /**
     * Asks the broker how many messages wait at {@code channel.address()}, for metrics and
     * readiness. Empty when the address is not a queue (a RabbitMQ exchange). Throws when the
     * broker cannot be asked; {@link #classify} says why. Never changes the queue.
     */
    Optional<QueueDepth> depth(CamelContext context, Channel channel) throws Exception;

    /** Maps a client exception to CONNECTION_FAILED, QUEUE_NOT_FOUND, ... with the broker's message. */
    CaravanException classify(Throwable failure, Channel channel);
}
