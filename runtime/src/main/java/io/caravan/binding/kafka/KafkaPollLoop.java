package io.caravan.binding.kafka;

import io.caravan.binding.Lanes;
import io.caravan.binding.Messages;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import io.caravan.spec.Capabilities;
import org.apache.camel.Exchange;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
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
 * One consumer of the group on its own thread. Records are handed to {@code threads} worker
 * threads, so a run's blocking steps (http, delay) never hold the poll thread, and runs wait for
 * each other only as the endpoint's {@code ordering} says: {@code key} (the default) starts a
 * record once the previous record with its key, in its partition, finished, and runs different
 * keys side by side, in the way Confluent's Parallel Consumer does in KEY mode
 * (https://github.com/confluentinc/parallel-consumer#ordering-guarantees); {@code partition}
 * runs one record at a time per partition; {@code none} starts every record at once. In
 * {@code key} mode, records without a key start on the poll thread in offset order, each once
 * the previous one reached its first wait (typically its send): their sends keep the partition's
 * order, as a one-partition topic's readers expect, and their blocking steps run one at a time.
 *
 * <p>Offsets are committed from this thread only, per partition up to the first unfinished
 * record ({@link PartitionProgress}), with commitAsync after every poll: a commit is never ahead
 * of a run. A run that fails unhandled runs again in place after a pause, holding back only the
 * records that wait for it (its key's, its partition's), never the others; the dead-letter path
 * is what moves past a poison record. Since a failed record is never read again from the broker
 * while its partition stays here, it cannot land behind a later record of its key.
 *
 * <p>Kafka consumer API: https://kafka.apache.org/39/javadoc/org/apache/kafka/clients/consumer/KafkaConsumer.html
 * (pause/resume for flow control, the rebalance listener running inside poll).
 */
final class KafkaPollLoop implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPollLoop.class);
    private static final long RETRY_PAUSE_MS = 1000;
    private static final long DRAIN_MS = 30_000;

    private final KafkaSource source;
    private final KafkaEndpoint endpoint;
    private final int index;
    private final Map<TopicPartition, PartitionProgress> progress = new HashMap<>();
    /** Records waiting for the one ahead of them, per lane (a key or a partition); the head is running. */
    private final Lanes<Taken> lanes = new Lanes<>();
    /** Records taken and not finished (running, waiting in a lane, or waiting to run again). */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private boolean pausedForFlow;
    private ExecutorService workers;
    private ScheduledExecutorService retries;

    KafkaPollLoop(KafkaSource source, KafkaEndpoint endpoint, int index) {
        this.source = source;
        this.endpoint = endpoint;
        this.index = index;
    }

    /** A record's lane in {@code key} mode: its key within one assignment of its partition. */
    private record KeyLane(PartitionProgress partition, String key) {
    }

    /** One record taken from the broker, run (again, after a failure) until it finishes or its partition goes. */
    private static final class Taken {
        final ConsumerRecord<String, byte[]> record;
        final PartitionProgress partition;
        final PartitionProgress.Run run;
        final Object lane;
        final AtomicBoolean settled = new AtomicBoolean();

        Taken(ConsumerRecord<String, byte[]> record, PartitionProgress partition, PartitionProgress.Run run, Object lane) {
            this.record = record;
            this.partition = partition;
            this.run = run;
            this.lane = lane;
        }
    }

    @Override
    public void run() {
        ExecutorServiceManager executors = source.getEndpoint().getCamelContext().getExecutorServiceManager();
        String name = "CaravanKafkaRuns-" + endpoint.topic() + "-" + index;
        workers = executors.newFixedThreadPool(source, name, endpoint.concurrency());
        retries = executors.newSingleThreadScheduledExecutor(source, name + "-retries");
        try (KafkaConsumer<String, byte[]> kafka = new KafkaConsumer<>(properties())) {
            consumer = kafka;
            kafka.subscribe(List.of(endpoint.topic()), new Rebalance());
            while (running) {
                pollOnce(kafka);
            }
            drain(kafka, progress.keySet());
            forget(new ArrayList<>(progress.keySet()));
        } catch (WakeupException e) {
            // stop() woke a poll; the try-with-resources closed the consumer, runs are drained below
        } catch (Exception e) {
            source.getExceptionHandler().handleException("Kafka consumer of " + endpoint.topic() + " stopped", e);
        } finally {
            executors.shutdownNow(retries);
            executors.shutdownGraceful(workers);
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
        // instances joining or leaving move only the partitions that must move; the others keep
        // running through a rebalance (Rebalance below drains and commits just the revoked ones).
        // Earlier Caravans listed [range, cooperative-sticky] (the client's default): a group of
        // them takes this in one rolling restart, as the Kafka consumer documentation describes.
        props.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
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
        for (ConsumerRecord<String, byte[]> record : records) {
            PartitionProgress partition = progress.get(new TopicPartition(record.topic(), record.partition()));
            if (partition != null) { // else no longer ours after a rebalance
                dispatch(record, partition);
            }
        }
        commit(kafka);
    }

    /** Starts the record's run now, or queues it behind the run its ordering makes it wait for. */
    private void dispatch(ConsumerRecord<String, byte[]> record, PartitionProgress partition) {
        Object lane = switch (endpoint.ordering()) {
            case KEY -> record.key() == null ? null : new KeyLane(partition, record.key());
            case PARTITION -> partition;
            case NONE -> null;
        };
        Taken taken = new Taken(record, partition, partition.start(record.offset()), lane);
        inFlight.incrementAndGet();
        boolean first = lanes.enter(lane, taken);
        if (endpoint.ordering() == Capabilities.RunOrder.KEY && record.key() == null) {
            // no key to order by: such records start here, on the poll thread, in offset order,
            // each once the previous one reached its first wait (its send), so their sends keep the
            // partition's order as they did before ordering existed; their blocking steps run one
            // at a time (ordering: none runs them side by side)
            runOnce(taken);
        } else if (first) {
            start(taken);
        }
    }

    private void start(Taken taken) {
        try {
            workers.execute(() -> runOnce(taken));
        } catch (RejectedExecutionException e) {
            settle(taken); // stopping: the record is read again by whoever owns its partition next
        }
    }

    /** Runs the record; a failure runs it again after a pause, a success starts the next one of its lane. */
    private void runOnce(Taken taken) {
        if (taken.partition.revoked()) {
            settle(taken);
            return;
        }
        ConsumerRecord<String, byte[]> record = taken.record;
        Exchange exchange = source.createExchange(false);
        exchange.getMessage().setBody(record.value());
        exchange.setProperty(Messages.RECEIVED, KafkaProvisioner.toReceived(record.topic(), record.partition(),
                record.offset(), record.key(), record.value(), record.headers(), record.timestamp()));
        source.getAsyncProcessor().process(exchange, doneSync -> {
            boolean failed = exchange.isFailed() || exchange.isRollbackOnly();
            Exception failure = exchange.getException();
            source.releaseExchange(exchange, false);
            if (failed) {
                LOG.warn("Run of {}-{} offset {} failed; it runs again in {} ms (records that wait for it wait on): {}",
                        record.topic(), record.partition(), record.offset(), RETRY_PAUSE_MS,
                        failure == null ? "rolled back" : failure.toString());
                try {
                    retries.schedule(() -> start(taken), RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    settle(taken);
                }
                return;
            }
            taken.run.done();
            settle(taken);
            next(taken);
        });
    }

    /** Takes the finished record off its lane and starts the one behind it. */
    private void next(Taken done) {
        Taken following = lanes.leave(done.lane, done); // null too when its partition was revoked meanwhile
        if (following != null) {
            start(following);
        }
    }

    private void settle(Taken taken) {
        if (taken.settled.compareAndSet(false, true)) {
            inFlight.decrementAndGet();
        }
    }

    /**
     * Lets go of partitions after their drain: their waiting records are dropped (their offsets
     * were not committed, so the next owner reads them), a running one finishes without a successor.
     */
    private void forget(Collection<TopicPartition> partitions) {
        List<Taken> dropped = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            PartitionProgress partition = progress.remove(tp);
            if (partition == null) {
                continue;
            }
            partition.revoke();
            // a lane's head is running, or waiting to run again: it settles itself
            dropped.addAll(lanes.dropWhereHead(head -> head.partition == partition));
        }
        dropped.forEach(this::settle);
    }

    /**
     * Pauses every partition while {@code maxInFlight} records are taken and not committed (or
     * not finished) and resumes them below half of it: records finished behind one that keeps
     * failing still count, so memory stays bounded. Paused, the consumer still polls, so it keeps
     * its place in the group however long the runs take.
     */
    private void flowControl(KafkaConsumer<String, byte[]> kafka) {
        int taken = Math.max(inFlight.get(), progress.values().stream().mapToInt(PartitionProgress::uncommitted).sum());
        if (!pausedForFlow && taken >= endpoint.maxInFlight()) {
            kafka.pause(kafka.assignment());
            pausedForFlow = true;
        } else if (pausedForFlow && taken <= endpoint.maxInFlight() / 2) {
            kafka.resume(kafka.assignment());
            pausedForFlow = false;
        }
    }

    private void commit(KafkaConsumer<String, byte[]> kafka) {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(progress.keySet());
        if (!offsets.isEmpty()) {
            kafka.commitAsync(offsets, (done, error) -> {
                if (error != null) {
                    // the next poll commits these partitions again (this callback runs on the poll
                    // thread): waiting for a later record to cover them would leave the last runs of a
                    // stream uncommitted, to run again after a restart. Commits fail while the group
                    // rebalances, which with the cooperative protocol goes on beside the runs.
                    LOG.debug("Commit of {} failed, committing again after the next poll: {}", done, error.toString());
                    done.keySet().forEach(tp -> {
                        PartitionProgress partition = progress.get(tp);
                        if (partition != null) {
                            partition.commitFailed();
                        }
                    });
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
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // another member owns them already: committing would fail, the runs' records are read again there
            forget(partitions);
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
