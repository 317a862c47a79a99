package io.caravan.binding.kafka;

import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Provisioner;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.tls.Tls;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.util.List;
import java.util.Set;

/**
 * Apache Kafka, on Caravan's own {@code caravan-kafka} component ({@link KafkaComponent}): a
 * trigger keeps many runs in flight and commits behind them, a send completes when every in-sync
 * replica has the record. Endpoints name the credential's client factory, never a secret.
 */
public final class KafkaBinding implements Binding {

    public static final String QUEUE_TYPE = "kafka";

    /** send_message: the record key. */
    public static final Field KEY = Field.template("key", "record key; records with one key go to one partition"
            + " and keep their order").withExample("\"{{input.customer_id}}\"");
    /** send_message: the partition, instead of the one the key hashes to. */
    public static final Field PARTITION = Field.template("partition", "the partition to write to (a whole number"
            + " below the topic's partition count), instead of the one the key hashes to").withExample("\"0\"");
    /** send_message: wait for an answer on a reply topic. */
    public static final Field REPLY = BindingSupport.reply(Field.string("reply_to", "the topic answers come to;"
            + " sent in the reply_to header").asRequired().withExample("prices.replies"), "Kafka: the request carries"
            + " reply_to and correlation_id headers; one consumer per Caravan instance reads reply_to");
    /** receive_message: consumers in the group. */
    public static final Field CONSUMERS = Field.wholeNumber("consumers", "consumers in the group reading the topic,"
            + " each on its own thread (default 1); more than the topic's partitions stay idle").between(1, 64)
            .withExample("4");

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "Apache Kafka",
            new CredentialSpec("queue_kafka", "a Kafka cluster and the consumer group its triggers join", List.of(
                    Field.of("brokers", Field.Kind.STRING_LIST, "bootstrap servers, host:port (a list, or one"
                            + " comma-separated string)").asRequired().withExample("[\"127.0.0.1:9092\"]"),
                    Field.string("consumer_group", "prefix of the consumer groups: a workflow reads in"
                            + " <consumer_group>.<workflow id> unless its node names a consumer_group").asRequired()
                            .withExample("caravan"),
                    Field.choice("sasl_mechanism", List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"), "SASL mechanism"),
                    Field.string("sasl_username", "SASL user").withExample("caravan"),
                    Field.string("sasl_password", "SASL password").asSecret().withExample("${KAFKA_PASSWORD}"),
                    Field.bool("enable_tls", "connect with TLS").withDefault(false),
                    Tls.CA_FILE)),
            List.of(KEY, PARTITION, REPLY), List.of(CONSUMERS, BindingSupport.THREADS, BindingSupport.CONSUMER_GROUP), Set.of(),
            new Capabilities(null, "{source}.dlq", Capabilities.Ordering.PARTITION, false, null, false, false,
                    List.of(Capabilities.RunOrder.KEY, Capabilities.RunOrder.PARTITION, Capabilities.RunOrder.NONE)));

    private final KafkaProvisioner provisioner = new KafkaProvisioner();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public Provisioner provisioner() {
        return provisioner;
    }

    private static String base(Channel channel) {
        return KafkaComponent.SCHEME + ":" + channel.address() + "?clientFactory=#" + Bindings.beanName(channel.credentialId());
    }

    /**
     * Many runs in flight in the node's {@code ordering} (key by default) on {@code threads}
     * threads, offsets committed per partition up to the first unfinished run, a failed run run
     * again in place ({@link KafkaPollLoop}). The workflow's own consumer group
     * ({@link CredentialKafkaClientFactory#groupFor}). Kafka's max.poll.records (500) unless the
     * node sets max_messages; {@code consumers} from the node. Kafka has no native dead letter:
     * the validator gives every Kafka trigger one ({@code <topic>.dlq} by default).
     */
    @Override
    public String consumerUri(Channel channel, boolean nativeDeadLetter) {
        String uri = base(channel) + BindingSupport.groupOptions(channel);
        if (channel.config() != null && channel.config().has(CONSUMERS)) {
            uri += "&consumers=" + channel.config().number(CONSUMERS);
        }
        if (BindingSupport.setsMaxMessages(channel)) {
            uri += "&maxPollRecords=" + BindingSupport.maxMessages(channel);
        }
        return uri + BindingSupport.orderingOptions(channel);
    }

    /** The poll thread keeps the group membership: runs always go to the worker threads. */
    @Override
    public boolean runsInline() {
        return false;
    }

    /** acks=all and idempotence ({@link KafkaSink}): a send counts as done once every in-sync replica has it. */
    @Override
    public String producerUri(Channel channel) {
        return base(channel);
    }
}
