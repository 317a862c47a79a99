package io.caravan.binding;

import io.caravan.spec.BrokerSpec;
import org.apache.camel.CamelContext;

/**
 * One broker as a compiled workflow uses it, in the spirit of Spring Cloud Stream's two-method
 * {@code Binder}: the endpoint a trigger consumes from and the endpoint a send goes to. Messages
 * cross those endpoints as {@link Messages} says, the same for every broker. What is done with
 * the broker outside a route (clients, depth, pulls, failures) is its {@link Provisioner}.
 *
 * <p>A broker is one package under {@code binding/} with one implementation of this interface,
 * listed once in {@link Bindings}; nothing outside its package names it.
 */
public interface Binding {

    /** Its queue_type, fields, credential type and capabilities. */
    BrokerSpec spec();

    /**
     * The endpoint URI that consumes {@code channel.address()} continuously (a trigger). With
     * {@code nativeDeadLetter} ({@code dead_letter: {native: true}}) a failed run must reach the
     * broker as a rejection, so its own dead-letter mechanism takes the message.
     */
    String consumerUri(Channel channel, boolean nativeDeadLetter);

    /** The endpoint URI that sends to the channel's destination. */
    String producerUri(Channel channel);

    /** Everything done with this broker outside a route. */
    Provisioner provisioner();

    /**
     * Adds the Camel components its endpoints use to a context that lacks them. Components
     * found through a META-INF service file need nothing here; one a broker registers itself is
     * then there for hand-written routes and kamelets too. The runtime calls it for every broker.
     */
    default void register(CamelContext context) {
    }

    /**
     * Whether its consumer can start a run on the thread that took the message, with
     * {@code inline=true} on the consumer URI, when the workflow has no step that blocks; a
     * consumer whose thread must stay free (a poll loop that keeps a group membership) says no.
     */
    default boolean runsInline() {
        return true;
    }

    default String queueType() {
        return spec().queueType();
    }
}
