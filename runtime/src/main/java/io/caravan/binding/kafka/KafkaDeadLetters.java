package io.caravan.binding.kafka;

import io.caravan.binding.Channel;
import io.caravan.binding.DeadLetterQueue;
import io.caravan.binding.ReceivedMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A dead-letter topic. Kafka cannot delete one record, so what has been redriven is marked by the
 * committed offsets of a consumer group of its own, {@code <consumer_group>.redrive.<topic>}:
 * the records before a partition's mark are gone from the browser and the count; a redrive
 * moves the mark record by record, each once its copy is confirmed. Records stay on the topic
 * until its retention drops them.
 */
final class KafkaDeadLetters implements DeadLetterQueue {

    private static final Duration ASK = Duration.ofSeconds(10);

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();

    KafkaDeadLetters(CredentialKafkaClientFactory factory, Channel channel) {
        this.topic = channel.address();
        Properties props = new Properties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
        factory.apply(props, factory.groupFor(null, null) + ".redrive." + topic);
        this.consumer = new KafkaConsumer<>(props);
        var infos = consumer.partitionsFor(topic, ASK);
        if (infos == null || infos.isEmpty()) {
            consumer.close();
            throw new UnknownTopicOrPartitionException("topic " + topic + " does not exist");
        }
        infos.forEach(i -> partitions.add(new TopicPartition(topic, i.partition())));
        consumer.assign(partitions);
    }

    /** Each partition's mark: its committed offset, else its first. */
    private Map<TopicPartition, Long> marks() {
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(partitions), ASK);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, ASK);
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition p : partitions) {
            OffsetAndMetadata c = committed.get(p);
            out.put(p, Math.max(begin.get(p), c == null ? 0 : c.offset()));
        }
        return out;
    }

    @Override
    public long count() {
        Map<TopicPartition, Long> marks = marks();
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, ASK);
        return partitions.stream().mapToLong(p -> Math.max(0, end.get(p) - marks.get(p))).sum();
    }

    /** Up to {@code max} records from each partition's mark, by partition then offset. */
    private List<ConsumerRecord<String, byte[]>> read(int max) {
        Map<TopicPartition, Long> marks = marks();
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, ASK);
        marks.forEach(consumer::seek);
        List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + ASK.toNanos();
        while (out.size() < max && System.nanoTime() < deadline
                && partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
                    out.add(r);
                }
            }
        }
        out.sort(Comparator.<ConsumerRecord<String, byte[]>>comparingInt(ConsumerRecord::partition)
                .thenComparingLong(ConsumerRecord::offset));
        return out.size() > max ? out.subList(0, max) : out;
    }

    /** The record as a message, its value's bytes kept as {@link DeadLetterQueue#RAW} for a redrive. */
    private static ReceivedMessage received(ConsumerRecord<String, byte[]> r) {
        ReceivedMessage m = KafkaProvisioner.toReceived(r.topic(), r.partition(), r.offset(), r.key(), r.value(), r.headers(),
                r.timestamp());
        java.util.Map<String, Object> metadata = new java.util.LinkedHashMap<>(m.metadata());
        if (r.value() != null) {
            metadata.put(DeadLetterQueue.RAW, r.value());
        }
        return new ReceivedMessage(m.id(), m.body(), m.attributes(), m.receipt(), m.timestamp(), metadata);
    }

    @Override
    public List<ReceivedMessage> browse(int max) {
        return read(max).stream().map(KafkaDeadLetters::received).toList();
    }

    @Override
    public List<Taken> take(int max, Predicate<ReceivedMessage> wanted) {
        List<Taken> out = new ArrayList<>();
        Map<Integer, Boolean> blocked = new HashMap<>();
        // scan past records that are not wanted, so a selection further in is found; a partition
        // stops at its first unwanted record, since its mark cannot jump over it
        for (ConsumerRecord<String, byte[]> r : read(Math.max(max, 1000))) {
            if (out.size() >= max) {
                break;
            }
            ReceivedMessage m = received(r);
            if (!wanted.test(m)) {
                blocked.put(r.partition(), true);
                continue;
            }
            if (blocked.getOrDefault(r.partition(), false)) {
                continue;
            }
            TopicPartition p = new TopicPartition(r.topic(), r.partition());
            long next = r.offset() + 1;
            out.add(Taken.of(m, () -> consumer.commitSync(Map.of(p, new OffsetAndMetadata(next)), ASK)));
        }
        return out;
    }

    @Override
    public String notTakenBecause() {
        return "Kafka keeps a dead-letter topic in order: a record is redriven with the ones before it";
    }

    @Override
    public void close() {
        consumer.close();
    }
}
