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

    /**
     * The provisioner that pulls, replies and requests for {@code binding} in {@code context}: the
     * binding's own, unless the context binds another under {@code caravan-provisioner-<queue_type>}
     * (`caravan test` does, so that those nodes reach no broker).
     */
    public static Provisioner provisioner(org.apache.camel.CamelContext context, Binding binding) {
        Provisioner bound = context.getRegistry().lookupByNameAndType("caravan-provisioner-" + binding.queueType(),
                Provisioner.class);
        return bound != null ? bound : binding.provisioner();
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
