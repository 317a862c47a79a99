package io.caravan.binding.kafka;

import io.caravan.binding.Messages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Exchange;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer of the group on its own thread. Each record starts a run without waiting for the
 * previous one (the route's Kafka producer is asynchronous, so a run mostly waits for its send's
 * reply). Offsets are committed from this thread only, per partition up to the first unfinished
 * run ({@link PartitionProgress}), with commitAsync after every poll: no commit interval, and a
 * commit is never ahead of a run. A run that fails unhandled sends its partition back to its
 * record after a pause, as camel-kafka's breakOnFirstError does; the dead-letter path is what
 * moves past a poison record.
 *
 * <p>Kafka consumer API: https://kafka.apache.org/39/javadoc/org/apache/kafka/clients/consumer/KafkaConsumer.html
 * (pause/resume for flow control, seek, the rebalance listener running inside poll).
 */
final class KafkaPollLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPollLoop.class);
    private static final long RETRY_PAUSE_MS = 1000;
    private static final long DRAIN_MS = 30_000;

    private final KafkaSource source;
    private final KafkaEndpoint endpoint;
    private final int index;
    private final Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
    /** Partitions paused after a failure, with when to resume them. */
    private final Map<TopicPartition, Long> retryAt = new HashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean failure;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private boolean pausedForFlow;

    KafkaPollLoop(KafkaSource source, KafkaEndpoint endpoint, int index) {
        this.source = source;
        this.endpoint = endpoint;
        this.index = index;
    }

    @Override
    public void run() {
        try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(properties())) {
            consumer = kafka;
            kafka.subscribe(List.of(endpoint.topic()), new Rebalance());
            while (running) {
                pollOnce(kafka);
            }
            drain(kafka, progress.keySet());
        } catch (WakeupException e) {
            // stop() woke a poll; the try-with-resources closed the consumer, runs are drained below
        } catch (Exception e) {
            source.getExceptionHandler().handleException("Kafka consumer of " + endpoint.topic() + " stopped", e);
        } finally {
            closed.countDown();
        }
    }

    private Properties properties() {
        Properties props = new Properties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        // the value as the broker has it: the run reads it as UTF-8 text, and a dead letter carries
        // these bytes unchanged even when they are not UTF-8 (Runs.Original)
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // offsets move only with finished runs (commitAsync below), never on a timer
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        // a new group starts at the beginning: nothing sent before the first start is skipped
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(endpoint.maxPollRecords()));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "caravan-" + endpoint.topic() + "-" + index);
        return endpoint.clientFactory().apply(props, endpoint.group());
    }

    private void pollOnce(KafkaConsumer<String, byte[]> kafka) {
        flowControl(kafka);
        ConsumerRecords<String, byte[]> records;
        try {
            // while paused for flow, poll briefly so the loop notices runs finishing
            records = kafka.poll(Duration.ofMillis(pausedForFlow ? 5 : endpoint.pollTimeoutMs()));
        } catch (WakeupException e) {
            return; // stop() wants the loop to look at `running`
        }
        Map<TopicPartition, Long> rewound = new HashMap<>();
        for (ConsumerRecord<String, byte[]> record : records) {
            if (failure) {
                rewound.putAll(rewindFailed(kafka));
            }
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            Long from = rewound.get(tp);
            PartitionProgress partition = progress.get(tp);
            if ((from != null && record.offset() >= from) || partition == null) {
                continue; // read again after the rewind, or no longer ours after a rebalance
            }
            dispatch(record, partition.start(record.offset()));
        }
        if (failure) {
            rewindFailed(kafka);
        }
        commit(kafka);
    }

    /** Starts the record's run; its completion marks the run and frees its in-flight slot. */
    private void dispatch(ConsumerRecord<String, byte[]> record, PartitionProgress.Run run) {
        Exchange exchange = source.createExchange(false);
        exchange.getMessage().setBody(record.value());
        exchange.setProperty(Messages.RECEIVED, KafkaProvisioner.toReceived(record.topic(), record.partition(),
                record.offset(), record.key(), record.value(), record.headers(), record.timestamp()));
        inFlight.incrementAndGet();
        source.getAsyncProcessor().process(exchange, doneSync -> {
            if (exchange.isFailed() || exchange.isRollbackOnly()) {
                run.failed();
                failure = true;
                if (exchange.getException() != null) {
                    LOG.warn("Run of {}-{} offset {} failed; the partition goes back to it: {}", record.topic(),
                            record.partition(), record.offset(), exchange.getException().toString());
                }
            } else {
                run.done();
            }
            inFlight.decrementAndGet();
            source.releaseExchange(exchange, false);
        });
    }

    /** Seeks each partition with a failed run back to it and pauses it for a moment. */
    private Map<TopicPartition, Long> rewindFailed(KafkaConsumer<String, byte[]> kafka) {
        failure = false;
        Map<TopicPartition, Long> rewound = new HashMap<>();
        progress.forEach((tp, partition) -> {
            long offset = partition.firstFailure();
            if (offset >= 0) {
                kafka.seek(tp, offset);
                kafka.pause(List.of(tp));
                retryAt.put(tp, System.currentTimeMillis() + RETRY_PAUSE_MS);
                rewound.put(tp, offset);
            }
        });
        return rewound;
    }

    /**
     * Pauses every partition while {@code maxInFlight} runs are unfinished and resumes them below
     * half of it; resumes partitions whose retry pause is over. Paused, the consumer still polls,
     * so it keeps its place in the group however long the runs take.
     */
    private void flowControl(KafkaConsumer<String, byte[]> kafka) {
        long now = System.currentTimeMillis();
        Set<TopicPartition> retrying = new HashSet<>();
        for (var it = retryAt.entrySet().iterator(); it.hasNext(); ) {
            var entry = it.next();
            if (entry.getValue() <= now || !progress.containsKey(entry.getKey())) {
                it.remove();
                if (!pausedForFlow && progress.containsKey(entry.getKey())) {
                    kafka.resume(List.of(entry.getKey()));
                }
            } else {
                retrying.add(entry.getKey());
            }
        }
        int running = inFlight.get();
        if (!pausedForFlow && running >= endpoint.maxInFlight()) {
            kafka.pause(kafka.assignment());
            pausedForFlow = true;
        } else if (pausedForFlow && running <= endpoint.maxInFlight() / 2) {
            List<TopicPartition> resume = new ArrayList<>(kafka.assignment());
            resume.removeAll(retrying);
            kafka.resume(resume);
            pausedForFlow = false;
        }
    }

    private void commit(KafkaConsumer<String, byte[]> kafka) {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(progress.keySet());
        if (!offsets.isEmpty()) {
            kafka.commitAsync(offsets, (done, error) -> {
                if (error != null) {
                    // a later commit covers these offsets; a lost one means a few duplicates, never a loss
                    LOG.debug("Commit of {} failed: {}", done, error.toString());
                }
            });
        }
    }

    private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : partitions) {
            PartitionProgress partition = progress.get(tp);
            long offset = partition == null ? -1 : partition.advance();
            if (offset >= 0) {
                offsets.put(tp, new OffsetAndMetadata(offset));
                partition.committed(offset);
            }
        }
        return offsets;
    }

    /** Waits (bounded) for the runs of {@code partitions} to finish, then commits them synchronously. */
    private void drain(KafkaConsumer<String, byte[]> kafka, Collection<TopicPartition> partitions) {
        long deadline = System.currentTimeMillis() + DRAIN_MS;
        while (System.currentTimeMillis() < deadline
                && !partitions.stream().map(progress::get).allMatch(p -> p == null || p.allFinished())) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions);
        if (!offsets.isEmpty()) {
            try {
                try {
                    kafka.commitSync(offsets, Duration.ofSeconds(10));
                } catch (WakeupException e) {
                    // stop() woke the consumer outside a poll: the wakeup is spent, commit again
                    kafka.commitSync(offsets, Duration.ofSeconds(10));
                }
            } catch (Exception e) {
                LOG.warn("Final commit of {} failed; those records will be read again: {}", offsets.keySet(), e.toString());
            }
        }
    }

    void stop() {
        running = false;
        KafkaConsumer<String, byte[]> kafka = consumer;
        if (kafka != null) {
            kafka.wakeup();
        }
    }

    void awaitClosed() throws InterruptedException {
        closed.await(DRAIN_MS + 15_000, TimeUnit.MILLISECONDS);
    }

    /** Runs inside poll, on this thread. */
    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            drain(consumer, partitions);
            partitions.forEach(progress::remove);
            partitions.forEach(retryAt::remove);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // another member owns them already: committing would fail, the runs' records are read again there
            partitions.forEach(progress::remove);
            partitions.forEach(retryAt::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            partitions.forEach(tp -> progress.put(tp, new PartitionProgress()));
            if (pausedForFlow) {
                consumer.pause(partitions);
            }
        }
    }
}
