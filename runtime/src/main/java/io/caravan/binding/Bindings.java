package io.caravan.binding;

import io.caravan.binding.kafka.KafkaBinding;
import io.caravan.binding.rabbitmq.RabbitMqBinding;
import io.caravan.binding.redis.RedisBinding;
import io.caravan.binding.sqs.SqsBinding;
import java.util.List;
import java.util.Optional;

/** The brokers Caravan speaks to. Registering a new one is one line in {@link #ALL}. */
public final class Bindings {

    public static final List<Binding> ALL = List.of(new SqsBinding(), new KafkaBinding(), new RabbitMqBinding(),
            new RedisBinding());

    private Bindings() {
    }

    public static Optional<Binding> forQueueType(String queueType) {
        return ALL.stream().filter(b -> b.queueType().equals(queueType)).findFirst();
    }

    public static Optional<Binding> forCredentialType(String type) {
        return ALL.stream().filter(b -> b.spec().credential().type().equals(type)).findFirst();
    }

    public static List<String> queueTypes() {
        return ALL.stream().map(Binding::queueType).toList();
    }

    public static List<String> credentialTypes() {
        return ALL.stream().map(b -> b.spec().credential().type()).toList();
    }

    /** The registry name of the client a credential is bound to, as endpoint URIs refer to it. */
    public static String beanName(String credentialId) {
        return "caravan-credential-" + credentialId;
    }
}
