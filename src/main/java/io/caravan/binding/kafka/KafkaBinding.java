package io.caravan.binding.kafka;

import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.QueueDepth;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Apache Kafka: triggers consume with Caravan's {@link KafkaSourceComponent} (many runs in flight,
 * commits behind them), sends go through camel-kafka's asynchronous producer. The credential
 * becomes a {@link CredentialKafkaClientFactory} in the registry (referred to as
 * {@code #caravan-credential-<id>}) that adds brokers, group and SASL/TLS to every client, so no
 * secret is in a URI.
 *
 * <p>{@link #pull} (the receive_message action) uses a short-lived {@link KafkaConsumer} instead
 * of a Camel consumer: the action reads a bounded batch once and commits only when asked, which a
 * long-running Camel consumer with its own commit manager cannot express. With
 * {@code deleteAfter=false} nothing is committed, so the next pull in the same consumer group
 * reads the same records again (a peek); with {@code true} the group's offsets move past them.
 */
public final class KafkaBinding implements Binding {

    /** Partition counts of dead-letter topics by credential/topic: [count, read at millis]. */
    private final Map<String, long[]> partitionCounts = new ConcurrentHashMap<>();

    public static final String QUEUE_TYPE = "kafka";

    /** send_message: the record key. */
    public static final Field KEY = Field.template("key", "record key; records with one key go to one partition"
            + " and keep their order").withExample("\"{{input.customer_id}}\"");
    /** receive_message: consumers in the group. */
    public static final Field CONSUMERS = Field.wholeNumber("consumers", "consumers in the group reading the topic,"
            + " each on its own thread (default 1); more than the topic's partitions stay idle").between(1, 64)
            .withExample("4");

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "Apache Kafka",
            new CredentialSpec("queue_kafka", "a Kafka cluster and the consumer group its triggers join", List.of(
                    Field.of("brokers", Field.Kind.STRING_LIST, "bootstrap servers, host:port (a list, or one"
                            + " comma-separated string)").asRequired().withExample("[\"127.0.0.1:9092\"]"),
                    Field.string("consumer_group", "consumer group id").asRequired().withExample("caravan"),
                    Field.choice("sasl_mechanism", List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"), "SASL mechanism"),
                    Field.string("sasl_username", "SASL user").withExample("caravan"),
                    Field.string("sasl_password", "SASL password").asSecret().withExample("${KAFKA_PASSWORD}"),
                    Field.bool("enable_tls", "connect with TLS").withDefault(false))),
            List.of(KEY), List.of(CONSUMERS), Set.of(),
            new Capabilities(null, "{source}.dlq", Capabilities.Ordering.PARTITION, false, false, false, false));

    private final Map<String, String> addresses = new ConcurrentHashMap<>();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public void bind(CamelContext context, Credential credential) {
        CredentialKafkaClientFactory factory = new CredentialKafkaClientFactory(credential);
        addresses.put(credential.id(), factory.brokers());
        // camel-kafka's consumer insists on its own brokers option (KafkaConsumer.doStart) even
        // with a client factory; the URI names this property, which only bind() fills in.
        context.getPropertiesComponent().addOverrideProperty(brokersProperty(credential.id()), factory.brokers());
        String name = Bindings.beanName(credential.id());
        context.getRegistry().unbind(name);
        context.getRegistry().bind(name, CredentialKafkaClientFactory.class, factory);
    }

    /** The property holding a credential's brokers; endpoint URIs refer to it as a placeholder. */
    public static String brokersProperty(String credentialId) {
        return "caravan.credential." + credentialId + ".brokers";
    }

    private static String base(Channel channel) {
        return "kafka:" + channel.address() + "?brokers={{" + brokersProperty(channel.credentialId())
                + "}}&kafkaClientFactory=#" + Bindings.beanName(channel.credentialId());
    }

    /**
     * Caravan's own consumer ({@link KafkaSourceComponent}): many runs in flight, offsets
     * committed per partition up to the first unfinished run, a failed run read again. Kafka's
     * max.poll.records (500) unless the node sets max_messages; {@code consumers} from the node.
     */
    @Override
    public String consumerUri(Channel channel) {
        String uri = KafkaSourceComponent.SCHEME + ":" + channel.address() + "?clientFactory=#"
                + Bindings.beanName(channel.credentialId());
        if (channel.config() != null && channel.config().has(CONSUMERS)) {
            uri += "&consumers=" + channel.config().number(CONSUMERS);
        }
        if (BindingSupport.setsMaxMessages(channel)) {
            uri += "&maxPollRecords=" + BindingSupport.maxMessages(channel);
        }
        return uri;
    }

    /**
     * recordMetadata=true puts the broker's RecordMetadata (partition, offset) on the exchange.
     * requestRequiredAcks=all and enableIdempotence=true are said here rather than left to
     * defaults: a send (and a dead letter) counts as done only once every in-sync replica has it,
     * and a retried send is not written twice.
     */
    @Override
    public String producerUri(Channel channel) {
        return base(channel) + "&recordMetadata=true&requestRequiredAcks=all&enableIdempotence=true";
    }

    /** None: {@link KafkaSource} keeps each run's place in its partition itself. */
    @Override
    public Set<String> consumerHeaders() {
        return Set.of();
    }

    @Override
    public ReceivedMessage received(Exchange exchange) {
        org.apache.camel.Message in = exchange.getMessage();
        String topic = in.getHeader(KafkaConstants.TOPIC, String.class);
        Integer partition = in.getHeader(KafkaConstants.PARTITION, Integer.class);
        Long offset = in.getHeader(KafkaConstants.OFFSET, Long.class);
        Long timestamp = in.getHeader(KafkaConstants.TIMESTAMP, Long.class);
        Object body = in.getBody();
        // the record's own headers, not the exchange's: those also hold Camel's kafka.* headers
        Headers headers = in.getHeader(KafkaConstants.HEADERS, Headers.class);
        Object key = in.getHeader(KafkaConstants.KEY);
        return toReceived(topic, partition, offset, key, body, headers, timestamp);
    }

    private static ReceivedMessage toReceived(String topic, Integer partition, Long offset, Object key, Object body,
                                              Headers headers, Long timestamp) {
        Map<String, String> attributes = new LinkedHashMap<>();
        if (headers != null) {
            for (Header h : headers) {
                if (!BindingSupport.isControlName(h.key())) {
                    attributes.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
                }
            }
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("topic", topic);
        metadata.put("partition", partition);
        metadata.put("offset", offset);
        if (key != null) {
            metadata.put("key", BindingSupport.text(key));
        }
        return new ReceivedMessage(topic + "-" + partition + "-" + offset, BindingSupport.text(body), attributes,
                partition + ":" + offset, timestamp == null || timestamp < 0 ? null : BindingSupport.iso(timestamp),
                metadata);
    }


    /** Attributes go as byte[] headers (the producer's header serializer passes bytes through). */
    @Override
    public void prepareSend(Exchange exchange, Channel channel, Map<String, String> attributes,
                            Map<String, String> renderedFields) {
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name) && value != null) {
                exchange.getMessage().setHeader(name, value.getBytes(StandardCharsets.UTF_8));
            }
        });
        String key = renderedFields.get("key");
        if (key != null && !key.isEmpty()) {
            exchange.getMessage().setHeader(KafkaConstants.KEY, key);
        }
        // a dead letter of a Kafka record goes to the same partition number where the
        // dead-letter topic has it; otherwise the key (or the partitioner) decides
        String partition = renderedFields.get("partition");
        if (partition != null && Integer.parseInt(partition) < partitionCount(exchange.getContext(), channel)) {
            exchange.getMessage().setHeader(KafkaConstants.PARTITION_KEY, Integer.parseInt(partition));
        }
    }

    /** Partitions of a topic, cached for a minute; 0 when unknown (no partition is then forced). */
    private int partitionCount(CamelContext context, Channel channel) {
        String cacheKey = channel.credentialId() + "/" + channel.address();
        long now = System.currentTimeMillis();
        long[] cached = partitionCounts.get(cacheKey);
        if (cached != null && now - cached[1] < 60_000) {
            return (int) cached[0];
        }
        int count = 0;
        CredentialKafkaClientFactory factory = context.getRegistry().lookupByNameAndType(
                Bindings.beanName(channel.credentialId()), CredentialKafkaClientFactory.class);
        if (factory != null) {
            Properties props = factory.apply(new Properties(), false);
            props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
            props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
            try (Admin admin = Admin.create(props)) {
                count = admin.describeTopics(List.of(channel.address())).allTopicNames().get()
                        .get(channel.address()).partitions().size();
            } catch (Exception e) {
                count = 0; // a topic that does not exist yet is created on first send, partitioned by key
            }
        }
        partitionCounts.put(cacheKey, new long[] {count, now});
        return count;
    }

    @Override
    public String sentMessageId(Exchange exchange) {
        Object meta = exchange.getMessage().getHeader(KafkaConstants.KAFKA_RECORD_META);
        if (meta instanceof List<?> list && !list.isEmpty() && list.get(0) instanceof RecordMetadata m) {
            return m.topic() + "-" + m.partition() + "-" + m.offset();
        }
        return null;
    }

    @Override
    public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait,
                                      boolean deleteAfter) {
        CredentialKafkaClientFactory factory = context.getRegistry().lookupByNameAndType(
                Bindings.beanName(channel.credentialId()), CredentialKafkaClientFactory.class);
        if (factory == null) {
            throw new IllegalStateException("credential " + channel.credentialId() + " is not bound to a Kafka client");
        }
        Properties props = new Properties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(max));
        // a missing topic is QUEUE_NOT_FOUND here, as a missing SQS or RabbitMQ queue is
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        factory.apply(props, true);

        long deadline = System.nanoTime() + wait.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
            // fails fast (TimeoutException) when no broker answers within the wait
            List<PartitionInfo> partitions = consumer.partitionsFor(channel.address(), wait.isZero() ? Duration.ofSeconds(1) : wait);
            if (partitions == null || partitions.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + channel.address() + " does not exist");
            }
            consumer.subscribe(List.of(channel.address()));
            List<ConsumerRecord<String, byte[]>> taken = new ArrayList<>();
            while (taken.size() < max) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofNanos(Math.min(left, 200_000_000L)))) {
                    if (taken.size() < max) {
                        taken.add(r);
                    }
                }
            }
            if (deleteAfter && !taken.isEmpty()) {
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<String, byte[]> r : taken) {
                    offsets.merge(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1),
                            (a, b) -> a.offset() >= b.offset() ? a : b);
                }
                consumer.commitSync(offsets);
            }
            return taken.stream().map(r -> toReceived(r.topic(), r.partition(), r.offset(), r.key(), r.value(),
                    r.headers(), r.timestamp())).toList();
        }
    }

    /**
     * The lag of the credential's consumer group on the topic: per partition, the end offset
     * minus the group's committed offset, or minus the log start where the group has committed
     * nothing yet (where a consumer with autoOffsetReset=earliest begins). For a topic no
     * workflow of this group reads, that is every record still in the log. Uses a short-lived
     * AdminClient with the credential's client properties and short timeouts, so an unreachable
     * broker fails the probe within seconds instead of Kafka's default minute.
     */
    @Override
    public Optional<QueueDepth> depth(CamelContext context, Channel channel) throws Exception {
        CredentialKafkaClientFactory factory = context.getRegistry().lookupByNameAndType(
                Bindings.beanName(channel.credentialId()), CredentialKafkaClientFactory.class);
        if (factory == null) {
            throw new IllegalStateException("credential " + channel.credentialId() + " is not bound to a Kafka client");
        }
        Properties props = factory.apply(new Properties(), false);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "caravan-depth-" + channel.credentialId());
        try (Admin admin = Admin.create(props)) {
            String topic = channel.address();
            List<TopicPartition> partitions = admin.describeTopics(List.of(topic)).allTopicNames().get()
                    .get(topic).partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            partitions.forEach(tp -> {
                latest.put(tp, OffsetSpec.latest());
                earliest.put(tp, OffsetSpec.earliest());
            });
            Map<TopicPartition, ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
            Map<TopicPartition, ListOffsetsResultInfo> starts = admin.listOffsets(earliest).all().get();
            Map<TopicPartition, OffsetAndMetadata> committed = factory.groupId() == null ? Map.of()
                    : admin.listConsumerGroupOffsets(factory.groupId()).partitionsToOffsetAndMetadata().get();
            long lag = 0;
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                long from = c != null ? c.offset() : starts.get(tp).offset();
                lag += Math.max(0, ends.get(tp).offset() - from);
            }
            return Optional.of(QueueDepth.of(lag));
        }
    }

    @Override
    public CaravanException classify(Throwable failure, Channel channel) {
        if (failure instanceof CaravanException ce) {
            return ce;
        }
        String topic = channel == null ? "?" : channel.address();
        if (BindingSupport.cause(failure, UnknownTopicOrPartitionException.class).isPresent()) {
            return BindingSupport.queueNotFound(QUEUE_TYPE, topic, failure, channel);
        }
        // Kafka clients retry connections quietly; what surfaces is a timeout waiting for metadata.
        if (BindingSupport.isUnreachable(failure) || BindingSupport.cause(failure, TimeoutException.class).isPresent()) {
            String address = channel == null ? null : addresses.get(channel.credentialId());
            return BindingSupport.connectionFailed(QUEUE_TYPE, address == null ? "(unbound credential)" : address,
                    failure, channel);
        }
        return BindingSupport.other(QUEUE_TYPE, failure, channel);
    }
}
