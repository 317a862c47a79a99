package io.caravan.binding.kafka;

import io.caravan.binding.Messages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultAsyncProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends each exchange as one record without waiting for the previous one, and completes the
 * exchange when the broker has it: {@code acks=all} (every in-sync replica) and idempotence, so a
 * send the client retries is written once. The body is the value; every non-control header is a
 * record header (UTF-8); {@link Messages#KEY} is the key; {@link Messages#PARTITION} is
 * the partition when the topic has it. The completed exchange carries
 * {@code <topic>-<partition>-<offset>} in {@link Messages#MESSAGE_ID}.
 *
 * <p>Kafka calls the send's callback on the producer's I/O thread, so the exchange completes on
 * the component's executor instead ({@link KafkaComponent#completions}).
 */
final class KafkaSink extends DefaultAsyncProducer {

    private final KafkaEndpoint endpoint;
    private Producer<String, byte[]> producer;

    KafkaSink(KafkaEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Properties props = new Properties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "caravan-" + endpoint.topic());
        producer = endpoint.clientFactory().getProducer(props);
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        try {
            Message message = exchange.getMessage();
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(endpoint.topic(), partition(message),
                    message.getHeader(Messages.KEY, String.class), message.getMandatoryBody(byte[].class));
            for (Map.Entry<String, String> attribute : Messages.attributes(message).entrySet()) {
                record.headers().add(attribute.getKey(), attribute.getValue().getBytes(StandardCharsets.UTF_8));
            }
            producer.send(record, (meta, failure) -> complete(() -> {
                if (failure != null) {
                    exchange.setException(failure);
                } else {
                    exchange.getMessage().setHeader(Messages.MESSAGE_ID, meta.topic() + "-" + meta.partition() + "-" + meta.offset());
                }
                callback.done(false);
            }));
            return false;
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
    }

    /** The partition asked for, when the topic has it; otherwise the key (or the partitioner) decides. */
    private Integer partition(Message message) {
        Integer wanted = message.getHeader(Messages.PARTITION, Integer.class);
        String asked = message.getHeader(Messages.field(KafkaBinding.PARTITION.name()), String.class);
        if (wanted == null && asked != null && !asked.isBlank()) {
            // the node's partition field: a number the topic must have, else the send fails saying so
            int n;
            try {
                n = Integer.parseInt(asked.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("partition '" + asked + "' is not a whole number");
            }
            int count = producer.partitionsFor(endpoint.topic()).size();
            if (n < 0 || n >= count) {
                throw new IllegalArgumentException("partition " + n + " does not exist: topic " + endpoint.topic()
                        + " has " + count + " partitions");
            }
            return n;
        }
        if (wanted == null) {
            return null;
        }
        List<PartitionInfo> partitions = producer.partitionsFor(endpoint.topic());
        return wanted >= 0 && wanted < partitions.size() ? wanted : null;
    }

    private void complete(Runnable task) {
        try {
            endpoint.getComponent().completions().execute(task);
        } catch (RejectedExecutionException stopping) {
            ForkJoinPool.commonPool().execute(task); // the context is stopping: still off the I/O thread
        }
    }

    /** Sends what is buffered and waits (bounded) for the broker's answers, so a stop loses no send. */
    @Override
    protected void doStop() throws Exception {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
        super.doStop();
    }

    @Override
    public String toString() {
        return "KafkaSink[" + endpoint.topic() + "]";
    }
}
