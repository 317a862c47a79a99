package io.caravan.binding.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.binding.Bindings;
import io.caravan.binding.Messages;
import io.caravan.credential.Credential;
import io.caravan.testing.Await;
import io.caravan.testing.TestBrokers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code caravan-kafka} against the in-process KRaft broker: runs overlap, offsets are committed
 * only up to the first unfinished run, a failed run runs again, a stop loses nothing, and runs
 * keep the order their {@code ordering} asks for while blocking steps run side by side.
 */
class KafkaSourceIT {

    private final KafkaBinding binding = new KafkaBinding();
    private final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    private final Map<String, AtomicInteger> byContext = new ConcurrentHashMap<>();
    private final AtomicInteger mostRunning = new AtomicInteger();
    private Credential credential;
    private String topic;
    private CamelContext context;

    @BeforeEach
    void topic() {
        topic = TestBrokers.unique("source");
        TestBrokers.kafka().createTopic(topic, 2);
        credential = new Credential("kafka-source", "queue_kafka", Map.of("brokers",
                List.of(TestBrokers.kafka().bootstrapServers()), "consumer_group", TestBrokers.unique("group")), Set.of());
    }

    @AfterEach
    void stop() {
        if (context != null) {
            context.stop();
        }
    }

    /** A route from the topic that holds each run for 0-20 ms asynchronously; {@code fail} may fail it. */
    private CamelContext start(String options, java.util.function.Predicate<Exchange> fail) {
        CamelContext camel = new DefaultCamelContext();
        binding.provisioner().bind(camel, credential);
        String uri = KafkaComponent.SCHEME + ":" + topic + "?clientFactory=#" + Bindings.beanName(credential.id()) + options;
        try {
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    errorHandler(noErrorHandler());
                    from(uri)
                            .process(e -> mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max))
                            .delay().exchange(e -> ThreadLocalRandom.current().nextInt(20)).asyncDelayed()
                            .process(e -> {
                                running.decrementAndGet();
                                String id = Messages.received(e).receipt(); // partition:offset
                                seen.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                                byContext.computeIfAbsent(e.getContext().getName(), k -> new AtomicInteger()).incrementAndGet();
                                if (fail.test(e)) {
                                    throw new IllegalStateException("failing " + id + " on purpose");
                                }
                            });
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        camel.start();
        return camel;
    }

    private void produce(int count) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBrokers.kafka().bootstrapServers());
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "{\"n\":" + i + "}"));
            }
            producer.flush();
        }
    }

    private long committed() throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBrokers.kafka().bootstrapServers());
        try (Admin admin = Admin.create(props)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(
                    credential.string("consumer_group")).partitionsToOffsetAndMetadata().get();
            return offsets.values().stream().mapToLong(OffsetAndMetadata::offset).sum();
        }
    }

    private static void await(BooleanSupplier condition, String what) throws Exception {
        Await.until(what, Duration.ofSeconds(60), condition::getAsBoolean);
    }

    @Test
    void runsOverlapAndEveryOffsetIsCommitted() throws Exception {
        produce(3000);
        context = start("", e -> false);

        await(() -> seen.size() == 3000, "all 3000 records");
        await(() -> {
            try {
                return committed() == 3000;
            } catch (Exception e) {
                return false;
            }
        }, "offsets committed to the end");
        assertThat(seen.values()).allMatch(n -> n.get() == 1);
        assertThat(mostRunning.get()).as("runs in flight at once").isGreaterThan(10);
    }

    /**
     * A second instance joining the group takes one of the two partitions with the
     * cooperative-sticky assignor (the first keeps the other and its runs): afterwards both
     * process records, and none is lost or run twice.
     */
    @Test
    void aSecondInstanceJoinsCooperativelyAndTheyShareTheTopicWithoutLossOrRepeats() throws Exception {
        produce(1000);
        context = start("", e -> false);
        await(() -> seen.size() >= 1000, "the first instance ran the first 1000 records");
        CamelContext second = start("", e -> false);
        try {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBrokers.kafka().bootstrapServers());
            try (Admin admin = Admin.create(props)) {
                String group = credential.string("consumer_group");
                await(() -> {
                    try {
                        var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
                        return description.members().size() == 2
                                && description.members().stream().allMatch(m -> m.assignment().topicPartitions().size() == 1);
                    } catch (Exception e) {
                        return false;
                    }
                }, "two members with one partition each");
                assertThat(admin.describeConsumerGroups(List.of(group)).all().get().get(group).partitionAssignor())
                        .isEqualTo("cooperative-sticky");
            }
            produce(2000);
            await(() -> seen.size() == 3000, "all 3000 records");
            assertThat(seen.values()).as("runs per record").allMatch(n -> n.get() == 1);
            assertThat(byContext.get(second.getName())).as("records the second instance ran").isNotNull();
            assertThat(byContext.get(second.getName()).get()).isPositive();
            assertThat(byContext.get(context.getName()).get()).isGreaterThan(1000);
        } finally {
            second.stop();
        }
    }

    @Test
    void inFlightIsBoundedByMaxInFlight() throws Exception {
        produce(2000);
        context = start("&maxInFlight=50&maxPollRecords=20", e -> false);

        await(() -> seen.size() == 2000, "all 2000 records");
        // paused at 50, a poll already returned may add up to maxPollRecords more
        assertThat(mostRunning.get()).isBetween(2, 70);
    }

    @Test
    void aFailedRunRunsAgainAndNothingPastItIsCommittedMeanwhile() throws Exception {
        produce(400);
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        context = start("", e -> {
            String id = Messages.received(e).receipt();
            return id.endsWith(":100") && failedOnce.add(id);
        });

        await(() -> seen.size() == 400 && failedOnce.size() == 2, "every record, both offset-100 runs failed once");
        await(() -> seen.get("0:100").get() >= 2 && seen.get("1:100").get() >= 2, "the failed records read again");
        await(() -> {
            try {
                return committed() == 400;
            } catch (Exception e) {
                return false;
            }
        }, "offsets committed to the end");
        assertThat(seen.get("0:99").get()).as("records before the failure are not read again").isEqualTo(1);
    }

    @Test
    void stoppingWithRunsInFlightLosesNothingAndRestartsFromTheFirstUnfinished() throws Exception {
        produce(2000);
        context = start("&consumers=2", e -> false);
        await(() -> seen.size() > 300, "a few hundred runs");
        context.stop();
        context = null;
        int firstRun = seen.size();
        long committedAtStop = committed();
        assertThat(committedAtStop).as("committed at most what finished").isLessThanOrEqualTo(firstRun);

        context = start("&consumers=2", e -> false);
        await(() -> seen.size() == 2000, "all 2000 records after the restart");
        long duplicates = seen.values().stream().filter(n -> n.get() > 1).count();
        System.out.printf("KafkaSourceIT: %d finished before the stop, %d committed, %d read twice%n",
                firstRun, committedAtStop, duplicates);
        assertThat(duplicates).as("read again: only what finished after the last commit")
                .isLessThanOrEqualTo(firstRun - committedAtStop);
    }

    /**
     * 20 keys x 50 records through a step that blocks its thread for 0-25 ms (as an http lookup
     * does): every key's records run one after the other, in offset order, while different keys
     * run side by side; the record that fails once (key-3's 10th) holds back only key-3.
     */
    @Test
    void keyOrderHoldsWhileKeysRunSideBySideAndAFailureHoldsBackOnlyItsKey() throws Exception {
        int keys = 20;
        int perKey = 50;
        produceKeyed(keys, perKey);
        Map<String, Integer> lastDone = new ConcurrentHashMap<>();
        List<String> violations = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        AtomicInteger othersDuringRetry = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean key3Failed = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicBoolean key3Waiting = new java.util.concurrent.atomic.AtomicBoolean();
        long began = System.nanoTime();
        context = startBlocking("", e -> {
            String[] keySeq = new String(e.getMessage().getBody(byte[].class), java.nio.charset.StandardCharsets.UTF_8).split(":");
            String key = keySeq[0];
            int seq = Integer.parseInt(keySeq[1]);
            int previous = lastDone.getOrDefault(key, -1);
            if (previous != seq - 1) {
                violations.add(key + ":" + seq + " started after " + key + ":" + previous);
            }
            mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(26));
            } finally {
                running.decrementAndGet();
            }
            if (key.equals("key-3") && seq == 10 && key3Failed.compareAndSet(false, true)) {
                key3Waiting.set(true);
                throw new IllegalStateException("key-3:10 fails once on purpose");
            }
            if (key.equals("key-3") && seq == 10) {
                key3Waiting.set(false);
            } else if (key3Waiting.get()) {
                othersDuringRetry.incrementAndGet();
            }
            lastDone.put(key, seq);
            seen.computeIfAbsent(key + ":" + seq, k -> new AtomicInteger()).incrementAndGet();
        });
        await(() -> seen.size() == keys * perKey, "all " + keys * perKey + " records");
        double seconds = (System.nanoTime() - began) / 1e9;
        System.out.printf("KafkaSourceIT key order: %d records in %.2f s, at most %d running at once,"
                + " %d records of other keys finished while key-3:10 waited to run again%n",
                keys * perKey, seconds, mostRunning.get(), othersDuringRetry.get());
        assertThat(violations).as("records of one key started before the previous one finished").isEmpty();
        assertThat(key3Failed).isTrue();
        assertThat(othersDuringRetry.get()).as("other keys went on while key-3 waited").isPositive();
        assertThat(mostRunning.get()).as("keys ran side by side").isGreaterThan(4);
        await(() -> {
            try {
                return committed() == keys * perKey;
            } catch (Exception e) {
                return false;
            }
        }, "offsets committed to the end");
    }

    /** ordering=partition: one run at a time per partition, in offset order, even with blocking steps. */
    @Test
    void partitionOrderRunsOneRecordAtATimePerPartition() throws Exception {
        produceKeyed(10, 20);
        Map<Integer, AtomicInteger> runningIn = new ConcurrentHashMap<>();
        Map<Integer, Long> lastOffset = new ConcurrentHashMap<>();
        List<String> violations = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        context = startBlocking("&ordering=partition", e -> {
            var received = Messages.received(e);
            String[] partitionOffset = received.receipt().split(":");
            int partition = Integer.parseInt(partitionOffset[0]);
            long offset = Long.parseLong(partitionOffset[1]);
            if (runningIn.computeIfAbsent(partition, k -> new AtomicInteger()).incrementAndGet() > 1) {
                violations.add("two runs at once in partition " + partition);
            }
            if (lastOffset.getOrDefault(partition, -1L) >= offset) {
                violations.add(partition + ":" + offset + " after " + lastOffset.get(partition));
            }
            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            lastOffset.put(partition, offset);
            runningIn.get(partition).decrementAndGet();
            seen.computeIfAbsent(received.receipt(), k -> new AtomicInteger()).incrementAndGet();
        });
        await(() -> seen.size() == 200, "all 200 records");
        assertThat(violations).isEmpty();
    }

    /** 20 keys x {@code perKey} records, values {@code key-K:seq}, the keys spread over the topic's 2 partitions. */
    private void produceKeyed(int keys, int perKey) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestBrokers.kafka().bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (int seq = 0; seq < perKey; seq++) {
                for (int k = 0; k < keys; k++) {
                    producer.send(new ProducerRecord<>(topic, "key-" + k, "key-" + k + ":" + seq));
                }
            }
            producer.flush();
        }
    }

    /** A route from the topic whose one step runs {@code step} on the run's thread (it may block). */
    private CamelContext startBlocking(String options, org.apache.camel.Processor step) {
        CamelContext camel = new DefaultCamelContext();
        binding.provisioner().bind(camel, credential);
        String uri = KafkaComponent.SCHEME + ":" + topic + "?clientFactory=#" + Bindings.beanName(credential.id()) + options;
        try {
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    errorHandler(noErrorHandler());
                    from(uri).process(step);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        camel.start();
        return camel;
    }
}
