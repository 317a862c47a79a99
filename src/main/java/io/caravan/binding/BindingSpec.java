package io.caravan.binding;

import io.caravan.credential.CredentialSpec;
import java.util.List;
import java.util.Set;

/**
 * What a broker binding declares, with no broker code: the validator reads only this.
 *
 * @param queueType               the {@code queue_type} workflows write, e.g. {@code kafka}
 * @param credential              the credential type it takes and that type's fields
 * @param sendFields              send_message fields beyond the seed's (e.g. Kafka {@code key})
 * @param receiveFields           receive_message fields beyond the seed's
 * @param destinationAlternatives send fields that may stand in for {@code destination}
 *                                (RabbitMQ's {@code exchange})
 */
public record BindingSpec(String queueType, CredentialSpec credential, List<BindingField> sendFields,
                          List<BindingField> receiveFields, Set<String> destinationAlternatives) {
}
