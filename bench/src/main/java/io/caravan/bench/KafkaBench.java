package io.caravan.bench;

import io.caravan.brokers.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.kafka.BatchManualCommit;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Kafka: the in-process KRaft broker, and the four pipes on it. */
final class KafkaBench extends Broker {

    /** Kafka also runs the Caravan pipe traced: what caravan.tracing costs per message, beside the untraced one. */
    @Override
    List<Variant> variants() {
        return List.of(Variant.RAW, Variant.CAMEL, Variant.CAMEL_TUNED, Variant.CARAVAN, Variant.CARAVAN_TRACED);
    }


    private final EmbeddedKafka kafka;

    KafkaBench() {
        this.kafka = EmbeddedKafka.start(0);
        notes.add("Kafka: in-process KRaft broker (Kafka 3.9.1), one node, on " + kafka.bootstrapServers());
    }

    @Override
    String name() {
        return "kafka";
    }

    @Override
    int drainCount() {
        return 200_000;
    }

    @Override
    int fixedRate() {
        return 1000;
    }

    @Override
    String queueType() {
        return "kafka";
    }

    String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    String credential(String id, String group) {
        return id + ": {type: queue_kafka, brokers: [\"" + kafka.bootstrapServers() + "\"], consumer_group: " + group + "}\n";
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    @Override
    void create(String src, String dst, int partitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(src, partitions, (short) 1), new NewTopic(dst, 1, (short) 1)))
                    .all().get();
            // the controller has created them; wait until every partition has a leader to write to
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                try {
                    var topics = admin.describeTopics(List.of(src, dst)).allTopicNames().get();
                    if (topics.values().stream().flatMap(t -> t.partitions().stream()).allMatch(p -> p.leader() != null
                            && !p.leader().isEmpty())) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                    // not in the broker's metadata yet
                }
                Thread.sleep(50);
            }
        }
    }

    @Override
    void delete(String src, String dst) {
        try (Admin admin = admin()) {
            // Caravan adds <source>.dlq to a Kafka-triggered workflow; it may have been created
            List<String> topics = new ArrayList<>(List.of(src, dst));
            if (admin.listTopics().names().get().contains(src + ".dlq")) {
                topics.add(src + ".dlq");
            }
            admin.deleteTopics(topics).all().get();
        } catch (Exception e) {
            // disk space only
        }
    }

    /** Not yet committed by whichever ran: the raw pipes' group, or Caravan's (the prefix plus the workflow id). */
    @Override
    long remaining(String src) throws Exception {
        return Math.min(remaining(src, group(src)), remaining(src, group(src) + "." + CaravanPipe.WORKFLOW_ID));
    }

    private long remaining(String src, String group) throws Exception {
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            int partitions = admin.describeTopics(List.of(src)).allTopicNames().get().get(src).partitions().size();
            Map<TopicPartition, OffsetSpec> query = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                query.put(new TopicPartition(src, p), OffsetSpec.latest());
            }
            long left = 0;
            for (var e : admin.listOffsets(query).all().get().entrySet()) {
                OffsetAndMetadata c = committed.get(e.getKey());
                left += e.getValue().offset() - (c == null ? 0 : c.offset());
            }
            return left;
        }
    }

    private Properties producerProps() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return p;
    }

    private Properties consumerProps(String group) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    /** Records get keys {@code k0..k<keys-1>} in turn when above 0 (the ordering section); none otherwise. */
    volatile int keys;

    @Override
    Loader loader(String src) {
        Properties p = producerProps();
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        // Pre-loading a just-created topic with 5 requests in flight has ended in an endless
        // OutOfOrderSequenceException (a retried first batch behind later ones that were written);
        // one request at a time cannot overtake itself, and batches of 256 KiB keep it fast.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
        KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
        AtomicReference<Exception> failed = new AtomicReference<>();
        return new Loader() {
            @Override
            public void send(long id) {
                String key = keys > 0 ? "k" + (id % keys) : null;
                producer.send(new ProducerRecord<>(src, key, Payload.message(id)), (md, e) -> {
                    if (e != null) {
                        failed.set(e);
                    }
                });
            }

            @Override
            public void flush() {
                producer.flush();
                if (failed.get() != null) {
                    throw new IllegalStateException("loading " + src + " failed: " + failed.get(), failed.get());
                }
            }

            @Override
            public void close() {
                producer.close(Duration.ofSeconds(10));
            }
        };
    }

    @Override
    AutoCloseable sink(String dst, Recorder recorder) {
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(dst + "-sink"),
                new StringDeserializer(), new StringDeserializer());
        return Loop.start("sink-" + dst, () -> consumer.subscribe(List.of(dst)), () -> {
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                recorder.record(r.value());
            }
        }, consumer::close);
    }

    @Override
    Pipe pipe(Variant variant, String src, String dst) {
        return switch (variant) {
            case RAW -> new RawPipe(src, dst);
            case CAMEL -> new CamelPipe("kafka-camel", new RouteBuilder() {
                /*
                 * Defaults, plus what at-least-once needs (https://camel.apache.org/components/4.14.x/kafka-component.html,
                 * "Using manual commit with Kafka consumer"): no auto-commit, manual commit after the
                 * send; autoOffsetReset=earliest so that a new group reads what was there before it.
                 * The producer's defaults are already acks=all and idempotence, and it waits for
                 * each send (synchronous per exchange).
                 */
                @Override
                public void configure() {
                    from("kafka:" + src + "?brokers=" + kafka.bootstrapServers() + "&groupId=" + group(src)
                            + "&autoOffsetReset=earliest&autoCommitEnable=false&allowManualCommit=true")
                            .process(e -> e.getMessage().setBody(Payload.transform(e.getMessage().getBody(String.class))))
                            .to("kafka:" + dst + "?brokers=" + kafka.bootstrapServers())
                            .process(e -> e.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class).commit());
                }
            });
            case CAMEL_TUNED -> new CamelPipe("kafka-camel-tuned", new RouteBuilder() {
                /*
                 * Tuned as https://camel.apache.org/components/4.14.x/kafka-component.html suggests for
                 * throughput: "Kafka Consumer Batching" (batching=true, maxPollRecords, the batch committed
                 * with BatchManualCommit after the route has sent it) and the producer's batching
                 * (lingerMs, producerBatchSize). A List body is sent as one record per element and the
                 * producer waits for all of them before the commit.
                 */
                @Override
                public void configure() {
                    from("kafka:" + src + "?brokers=" + kafka.bootstrapServers() + "&groupId=" + group(src)
                            + "&autoOffsetReset=earliest&autoCommitEnable=false&allowManualCommit=true"
                            + "&batching=true&maxPollRecords=1000&batchingIntervalMs=100&pollTimeoutMs=100"
                            + "&kafkaManualCommitFactory=#class:org.apache.camel.component.kafka.consumer.DefaultKafkaManualCommitFactory")
                            .process(e -> {
                                List<?> batch = e.getMessage().getBody(List.class);
                                List<String> out = new ArrayList<>(batch.size());
                                for (Object o : batch) {
                                    out.add(Payload.transform(((org.apache.camel.Exchange) o).getMessage().getBody(String.class)));
                                }
                                e.setProperty("batch", batch);
                                e.getMessage().setBody(out);
                            })
                            .to("kafka:" + dst + "?brokers=" + kafka.bootstrapServers() + "&lingerMs=5&producerBatchSize=262144")
                            .process(e -> e.getMessage().setBody(e.getProperty("batch")))
                            .process(new BatchManualCommit());
                }
            });
            case CARAVAN -> new CaravanPipe(this, src, dst, 1);
            case CARAVAN_TRACED -> new CaravanPipe(this, src, dst, 1).traced();
        };
    }

    /**
     * KafkaConsumer (manual commit) → KafkaProducer (acks=all, idempotent) → flush, check every
     * send → commit what the poll returned. Client defaults otherwise.
     */
    private final class RawPipe implements Pipe {
        private final String src;
        private final String dst;
        private AutoCloseable loop;

        RawPipe(String src, String dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        public void start() {
            KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps(group(src)),
                    new StringDeserializer(), new StringDeserializer());
            KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps(), new StringSerializer(),
                    new StringSerializer());
            List<Future<RecordMetadata>> sends = new ArrayList<>();
            loop = Loop.start("raw-" + src, () -> consumer.subscribe(List.of(src)), () -> {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    return;
                }
                sends.clear();
                for (ConsumerRecord<String, String> r : records) {
                    sends.add(producer.send(new ProducerRecord<>(dst, Payload.transform(r.value()))));
                }
                producer.flush();
                for (Future<RecordMetadata> f : sends) {
                    f.get();
                }
                consumer.commitSync();
            }, () -> {
                consumer.close();
                producer.close();
            });
        }

        @Override
        public void close() throws Exception {
            loop.close();
        }
    }

    @Override
    public void close() {
        kafka.close();
    }
}
