package io.caravan.spec;

import java.util.List;
import java.util.Set;

/**
 * What a broker declares, with no broker code: the validator, the compiler's choices and the
 * reference read only this. A broker's package builds one; nothing outside it names a broker.
 *
 * @param queueType               the {@code queue_type} workflows write, e.g. {@code kafka}
 * @param description             the broker, as the reference names it
 * @param credential              the credential type it takes and that type's fields
 * @param sendFields              send_message fields beyond the seed's (e.g. Kafka {@code key})
 * @param receiveFields           receive_message fields beyond the seed's
 * @param destinationAlternatives fields that may stand in for a send's {@code destination}
 *                                (RabbitMQ's {@code exchange}) and a receive's {@code source}
 *                                (which is then {@code <exchange>.<workflow id>}: a queue of the
 *                                workflow's own, bound to the exchange)
 * @param capabilities            what the broker can do, which the core asks instead of naming it
 */
public record BrokerSpec(String queueType, String description, CredentialSpec credential, List<Field> sendFields,
                         List<Field> receiveFields, Set<String> destinationAlternatives, Capabilities capabilities) {

    public BrokerSpec {
        sendFields = List.copyOf(sendFields);
        receiveFields = List.copyOf(receiveFields);
        destinationAlternatives = Set.copyOf(destinationAlternatives);
    }
}
