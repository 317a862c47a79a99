package io.caravan.binding.kafka;

import io.caravan.binding.BindingSupport;
import io.caravan.binding.Provisioner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answers on one reply topic for this Caravan instance: a consumer outside any group,
 * assigned every partition and placed at their ends before the first request goes out, reads
 * on its own daemon thread and completes the waiting request whose correlation id a record's
 * {@code correlation_id} header names. Answers for other instances' requests are skipped.
 */
final class KafkaReplies {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaReplies.class);

    private final io.caravan.binding.Answers answers = new io.caravan.binding.Answers();
    private final KafkaConsumer<String, byte[]> consumer;

    KafkaReplies(CredentialKafkaClientFactory factory, String topic) {
        Properties props = factory.apply(new Properties(), false);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "caravan-replies-" + topic);
        consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        // positions are resolved now, so no answer to a request sent from here on is missed
        partitions.forEach(consumer::position);
        Thread reader = new Thread(this::read, "caravan-kafka-replies-" + topic);
        reader.setDaemon(true);
        reader.start();
    }

    io.caravan.binding.Answers answers() {
        return answers;
    }

    private void read() {
        while (true) {
            try {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Header id = r.headers().lastHeader("correlation_id");
                    if (id == null) {
                        continue;
                    }
                    Map<String, String> attributes = new LinkedHashMap<>();
                    for (Header h : r.headers()) {
                        if (!BindingSupport.isControlName(h.key())) {
                            attributes.put(h.key(), h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8));
                        }
                    }
                    answers.answer(new String(id.value(), StandardCharsets.UTF_8), new Provisioner.Reply(
                            r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8), attributes));
                }
            } catch (Exception e) {
                LOG.warn("reading replies failed; reading on: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
