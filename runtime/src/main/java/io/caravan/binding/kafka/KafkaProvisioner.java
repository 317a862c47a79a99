package io.caravan.binding.kafka;

import io.caravan.CaravanException;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Provisioner;
import io.caravan.binding.QueueDepth;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.apache.camel.CamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Kafka outside a route. A credential becomes a {@link CredentialKafkaClientFactory} in the
 * registry ({@code #caravan-credential-<id>}) that adds brokers, group and SASL/TLS to every
 * client, so no secret is in a URI.
 *
 * <p>{@link #pull} (the receive_message action) uses a short-lived {@link KafkaConsumer}: the
 * action reads a bounded batch once and commits only when asked. With {@code deleteAfter=false}
 * nothing is committed, so the next pull in the same consumer group reads the same records again
 * (a peek); with {@code true} the group's offsets move past them.
 */
final class KafkaProvisioner implements Provisioner {

    private static final String QUEUE_TYPE = KafkaBinding.QUEUE_TYPE;

    private final Map<String, String> addresses = new ConcurrentHashMap<>();

    @Override
    public void bind(CamelContext context, Credential credential) {
        CredentialKafkaClientFactory factory = new CredentialKafkaClientFactory(credential);
        addresses.put(credential.id(), factory.brokers());
        String name = Bindings.beanName(credential.id());
        context.getRegistry().unbind(name);
        context.getRegistry().bind(name, CredentialKafkaClientFactory.class, factory);
    }

    /**
     * Creates the topic when it does not exist, with one partition and the broker's default
     * replication (a broker set to create topics on first use would do the same).
     */
    @Override
    public void provision(CamelContext context, Channel channel, boolean consumed) throws Exception {
        try (Admin admin = admin(context, channel, "caravan-provision-")) {
            admin.createTopics(List.of(new NewTopic(channel.address(), Optional.of(1), Optional.empty()))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    /** A short-lived admin client with the credential's properties and short timeouts. */
    static Admin admin(CamelContext context, Channel channel, String clientIdPrefix) {
        Properties props = factory(context, channel).apply(new Properties(), false);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, clientIdPrefix + channel.credentialId());
        return Admin.create(props);
    }

    static CredentialKafkaClientFactory factory(CamelContext context, Channel channel) {
        CredentialKafkaClientFactory factory = context.getRegistry().lookupByNameAndType(
                Bindings.beanName(channel.credentialId()), CredentialKafkaClientFactory.class);
        if (factory == null) {
            throw new IllegalStateException("credential " + channel.credentialId() + " is not bound to a Kafka client");
        }
        return factory;
    }

    /** The group a node of the channel's workflow reads in ({@link CredentialKafkaClientFactory#groupFor}). */
    static String group(CredentialKafkaClientFactory factory, Channel channel) {
        return factory.groupFor(channel.workflowId(), BindingSupport.explicitGroup(channel));
    }

    @Override
    public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait,
                                      boolean deleteAfter) {
        CredentialKafkaClientFactory factory = factory(context, channel);
        Properties props = new Properties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(max));
        // a missing topic is QUEUE_NOT_FOUND here, as a missing SQS or RabbitMQ queue is
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        factory.apply(props, group(factory, channel));

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

    static ReceivedMessage toReceived(String topic, Integer partition, Long offset, Object key, Object body,
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


    /**
     * The lag of the workflow's consumer group on the topic: per partition, the end offset
     * minus the group's committed offset, or minus the log start where the group has committed
     * nothing yet (where a consumer with autoOffsetReset=earliest begins). For a topic no
     * workflow of this group reads, that is every record still in the log. Uses a short-lived
     * AdminClient with the credential's client properties and short timeouts, so an unreachable
     * broker fails the probe within seconds instead of Kafka's default minute.
     */
    @Override
    public Optional<QueueDepth> depth(CamelContext context, Channel channel) throws Exception {
        CredentialKafkaClientFactory factory = factory(context, channel);
        try (Admin admin = admin(context, channel, "caravan-depth-")) {
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
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group(factory, channel))
                    .partitionsToOffsetAndMetadata().get();
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
        // a refused SASL login (wrong password, a mechanism the broker does not offer) is CONNECTION_FAILED too
        boolean refused = BindingSupport.cause(failure, org.apache.kafka.common.errors.AuthenticationException.class).isPresent()
                || BindingSupport.cause(failure, org.apache.kafka.common.errors.IllegalSaslStateException.class).isPresent();
        if (BindingSupport.isUnreachable(failure) || BindingSupport.cause(failure, TimeoutException.class).isPresent() || refused) {
            String address = channel == null ? null : addresses.get(channel.credentialId());
            return BindingSupport.connectionFailed(QUEUE_TYPE, address == null ? "(unbound credential)" : address,
                    failure, channel);
        }
        return BindingSupport.other(QUEUE_TYPE, failure, channel);
    }

    /** One producer per bound credential for replies (acks=all, idempotent), made on the first reply. */
    private final Map<CredentialKafkaClientFactory, org.apache.kafka.clients.producer.KafkaProducer<String, byte[]>> repliers =
            new ConcurrentHashMap<>();

    /**
     * Writes the answer to the topic named by reply_to with a {@code correlation_id} header (and
     * the attributes as headers), and waits for the broker's acknowledgement.
     */
    @Override
    public String reply(CamelContext context, Channel channel, String correlationId, String body,
                        Map<String, String> attributes) throws Exception {
        CredentialKafkaClientFactory factory = factory(context, channel);
        var producer = repliers.computeIfAbsent(factory, f -> {
            Properties props = f.apply(new Properties(), false);
            props.put(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG, "all");
            props.put(org.apache.kafka.clients.producer.ProducerConfig.CLIENT_ID_CONFIG, "caravan-replies");
            return new org.apache.kafka.clients.producer.KafkaProducer<>(props,
                    new org.apache.kafka.common.serialization.StringSerializer(),
                    new org.apache.kafka.common.serialization.ByteArraySerializer());
        });
        var record = new org.apache.kafka.clients.producer.ProducerRecord<String, byte[]>(channel.address(), null,
                body.getBytes(StandardCharsets.UTF_8));
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name)) {
                record.headers().add(name, value.getBytes(StandardCharsets.UTF_8));
            }
        });
        if (correlationId != null) {
            record.headers().add("correlation_id", correlationId.getBytes(StandardCharsets.UTF_8));
        }
        var meta = producer.send(record).get(30, java.util.concurrent.TimeUnit.SECONDS);
        return meta.topic() + "-" + meta.partition() + "-" + meta.offset();
    }

    private final Map<String, KafkaReplies> replyReaders = new ConcurrentHashMap<>();

    /**
     * Writes the request with {@code reply_to} and {@code correlation_id} headers, waits for
     * Kafka's acknowledgement, then for the answer on the reply topic, read by one consumer per
     * Caravan instance and reply topic ({@link KafkaReplies}) that every request shares.
     */
    @Override
    public Optional<Reply> request(CamelContext context, Channel channel, String body, Map<String, String> attributes,
                                   String replyTo, Duration timeout) throws Exception {
        CredentialKafkaClientFactory factory = factory(context, channel);
        KafkaReplies replies = replyReaders.computeIfAbsent(channel.credentialId() + "/" + replyTo,
                k -> new KafkaReplies(factory, replyTo));
        Map<String, String> headers = new LinkedHashMap<>(attributes);
        headers.put("reply_to", replyTo);
        return replies.answers().ask(correlationId -> reply(context, channel, correlationId, body, headers), timeout);
    }

    @Override
    public io.caravan.binding.DeadLetterQueue deadLetters(CamelContext context, Channel channel) {
        return new KafkaDeadLetters(factory(context, channel), channel);
    }
}
