package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.CaravanException;
import io.caravan.compile.RunEvents;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import io.lettuce.core.Consumer;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publish-subscribe on Kafka and Redis Streams: each workflow reading a topic or stream is its own
 * subscriber (group {@code <credential consumer_group>.<workflow id>}) and gets every message,
 * while two Caravan instances running the same workflow share its messages. A credential's group
 * used before 0.9 hands its position to the workflow's new group, so an upgrade neither reads a
 * source again nor skips any of it. Records come from plain Kafka and Lettuce clients.
 */
class PublishSubscribeIT {

    private static final int RECORDS = 1000;

    @TempDir
    static Path dir;

    @BeforeAll
    static void brokers() {
        TestBrokers.requireRedis();
        TestBrokers.kafka();
    }

    @Test
    void twoWorkflowsOnOneTopicEachGetEveryRecordAndTwoInstancesOfOneShareIt() throws Exception {
        String topic = TestBrokers.unique("pubsub");
        String prefix = TestBrokers.unique("ps");
        TestBrokers.kafka().createTopic(topic, 2);
        Path a = home("kafka-a", kafkaCredential(prefix), Map.of("audit", kafkaRelay("audit", topic), "billing",
                kafkaRelay("billing", topic)));
        Path b = home("kafka-b", kafkaCredential(prefix), Map.of("billing", kafkaRelay("billing", topic)));
        Map<String, AtomicLong> countsA = new ConcurrentHashMap<>();
        Map<String, AtomicLong> countsB = new ConcurrentHashMap<>();
        try (CaravanRuntime first = start(a, countsA); CaravanRuntime second = start(b, countsB)) {
            // both billing instances hold a partition before anything is sent, so both must get some
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestBrokers.kafka().bootstrapServers()))) {
                Await.until("two members of " + prefix + ".billing, each with a partition", Duration.ofSeconds(60), () -> {
                    var members = admin.describeConsumerGroups(List.of(prefix + ".billing")).all().get()
                            .get(prefix + ".billing").members();
                    return members.size() == 2 && members.stream().map(MemberDescription::assignment)
                            .allMatch(assignment -> !assignment.topicPartitions().isEmpty());
                });
            }
            Properties p = new Properties();
            p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                for (int i = 0; i < RECORDS; i++) {
                    producer.send(new ProducerRecord<>(topic, "k" + (i % 20), "{\"n\": " + i + "}"));
                }
                producer.flush();
            }
            assertThat(readAll(topic + "-audit")).as("audit, one instance").hasSize(RECORDS);
            assertThat(readAll(topic + "-billing")).as("billing, two instances together").hasSize(RECORDS);
            assertThat(countsA.get("audit").get()).isGreaterThanOrEqualTo(RECORDS);
            assertThat(countsA.get("billing").get()).as("billing runs in instance A").isPositive();
            assertThat(countsB.get("billing").get()).as("billing runs in instance B").isPositive();
            assertThat(countsA.get("billing").get() + countsB.get("billing").get()).isGreaterThanOrEqualTo(RECORDS);
            System.out.printf("billing shared: instance A %d runs, instance B %d runs; audit %d runs%n",
                    countsA.get("billing").get(), countsB.get("billing").get(), countsA.get("audit").get());
        }
    }

    @Test
    void aWorkflowGroupStartsWhereTheCredentialsOldKafkaGroupStopped() throws Exception {
        String topic = TestBrokers.unique("upgrade");
        String prefix = TestBrokers.unique("old");
        TestBrokers.kafka().createTopic(topic, 1);
        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, "k", "{\"n\": " + i + "}"));
            }
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestBrokers.kafka().bootstrapServers()))) {
            // what Caravan before 0.9 left: the credential's group itself, committed up to offset 4
            admin.alterConsumerGroupOffsets(prefix, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(4))).all().get();
            Path home = home("upgrade", kafkaCredential(prefix), Map.of("relay", kafkaRelay("relay", topic)));
            try (CaravanRuntime runtime = start(home, new ConcurrentHashMap<>())) {
                Await.until(prefix + ".relay committed to 10", Duration.ofSeconds(60), () -> {
                    OffsetAndMetadata c = admin.listConsumerGroupOffsets(prefix + ".relay").partitionsToOffsetAndMetadata()
                            .get().get(new TopicPartition(topic, 0));
                    return c != null && c.offset() == 10;
                });
                assertThat(readAll(topic + "-relay")).containsExactlyInAnyOrder("4", "5", "6", "7", "8", "9");
            }
        }
    }

    @Test
    void twoWorkflowsOnOneStreamEachGetEveryEntryAndAnOldGroupHandsOverItsPlace() throws Exception {
        String stream = TestBrokers.unique("pubsub-stream");
        String prefix = TestBrokers.unique("ps");
        RedisClient client = RedisClient.create(TestBrokers.REDIS_URL);
        try (var connection = client.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            // before 0.9 every workflow read in the credential's group: 'prefix' has delivered the
            // first 6 entries and acknowledged 4 of them; 4 and 5 are still pending there
            redis.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), prefix, io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                ids.add(redis.xadd(stream, Map.of("body", "{\"n\": " + i + "}")));
            }
            List<StreamMessage<String, String>> taken = redis.xreadgroup(Consumer.from(prefix, "old"),
                    XReadArgs.Builder.count(6), XReadArgs.StreamOffset.lastConsumed(stream));
            assertThat(taken).hasSize(6);
            redis.xack(stream, prefix, ids.subList(0, 4).toArray(String[]::new));

            String credential = "redis-ps: {type: queue_redis, url: \"" + TestBrokers.REDIS_URL + "\", consumer_group: " + prefix + "}\n";
            Path a = home("redis-a", credential, Map.of("audit", redisRelay("audit", stream), "billing", redisRelay("billing", stream)));
            Path b = home("redis-b", credential, Map.of("billing", redisRelay("billing", stream)));
            Map<String, AtomicLong> countsA = new ConcurrentHashMap<>();
            Map<String, AtomicLong> countsB = new ConcurrentHashMap<>();
            try (CaravanRuntime first = start(a, countsA); CaravanRuntime second = start(b, countsB)) {
                // the inherited part: entries 4..9 (the first pending one onwards), once per workflow
                Await.until("6 entries on each output", Duration.ofSeconds(30), () ->
                        redis.xlen(stream + "-audit") == 6 && redis.xlen(stream + "-billing") == 6);
                assertThat(bodies(redis, stream + "-audit")).containsExactlyInAnyOrder("4", "5", "6", "7", "8", "9");
                // then a thousand more, in bursts so both blocked billing readers get their turn
                for (int i = 10; i < 10 + RECORDS; i++) {
                    redis.xadd(stream, Map.of("body", "{\"n\": " + i + "}"));
                    if (i % 50 == 0) {
                        Thread.sleep(20);
                    }
                }
                Await.until("every entry on both outputs", Duration.ofSeconds(60), () ->
                        new HashSet<>(bodies(redis, stream + "-audit")).size() == RECORDS + 6
                                && new HashSet<>(bodies(redis, stream + "-billing")).size() == RECORDS + 6);
                assertThat(countsA.get("billing").get()).as("billing runs in instance A").isPositive();
                assertThat(countsB.get("billing").get()).as("billing runs in instance B").isPositive();
                Await.until("nothing pending", Duration.ofSeconds(30), () ->
                        redis.xpending(stream, prefix + ".billing").getCount() == 0
                                && redis.xpending(stream, prefix + ".audit").getCount() == 0);
                System.out.printf("redis billing shared: instance A %d runs, instance B %d runs%n",
                        countsA.get("billing").get(), countsB.get("billing").get());
            }
            redis.del(stream, stream + "-audit", stream + "-billing");
        } finally {
            client.shutdown();
        }
    }

    private static List<String> bodies(RedisCommands<String, String> redis, String stream) {
        return redis.xrange(stream, Range.create("-", "+")).stream().map(m -> m.getBody().get("body")).toList();
    }

    private static String kafkaCredential(String prefix) {
        return "kafka-ps: {type: queue_kafka, brokers: [\"" + TestBrokers.kafka().bootstrapServers()
                + "\"], consumer_group: " + prefix + "}\n";
    }

    /** Reads {@code topic -> topic-<id>}, the body's n as the record value. */
    private static String kafkaRelay(String id, String topic) {
        return """
                id: %s
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %s, credential_id: kafka-ps}}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: %s-%s, credential_id: kafka-ps, message: "{{input.n}}"}}
                edges: [{from: in, to: out}]
                """.formatted(id, topic, topic, id);
    }

    private static String redisRelay(String id, String stream) {
        return """
                id: %s
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: redis, source: %s, credential_id: redis-ps}}
                  - {id: out, type: send_message, config: {queue_type: redis, destination: %s-%s, credential_id: redis-ps, message: "{{input.n}}"}}
                edges: [{from: in, to: out}]
                """.formatted(id, stream, stream, id);
    }

    private static Path home(String name, String credentials, Map<String, String> workflows) throws Exception {
        Path home = Files.createDirectories(dir.resolve(name));
        Path folder = Files.createDirectories(home.resolve("workflows"));
        for (var w : workflows.entrySet()) {
            Files.writeString(folder.resolve(w.getKey() + ".yaml"), w.getValue());
        }
        Files.writeString(home.resolve("credentials.yaml"), credentials);
        return home;
    }

    private static CaravanRuntime start(Path home, Map<String, AtomicLong> received) throws Exception {
        CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home)
                .withCredentials(home.resolve("credentials.yaml")).withProperties(Map.of(
                        "caravan.http.port", String.valueOf(Ports.free()),
                        "caravan.management.port", String.valueOf(Ports.free()))));
        runtime.addRunEvents(new RunEvents() {
            @Override
            public void received(String workflowId, String nodeId, String queueType, String source) {
                received.computeIfAbsent(workflowId, k -> new AtomicLong()).incrementAndGet();
            }

            @Override
            public void failed(String workflowId, CaravanException error) {
                System.out.println("run of " + workflowId + " failed: " + error.getMessage());
            }
        });
        return runtime.start();
    }

    /** Every value on {@code topic} (read by a fresh group until 3 s pass without a new one). */
    private static List<String> readAll(String topic) {
        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        p.put("group.id", TestBrokers.unique("reader"));
        p.put("auto.offset.reset", "earliest");
        Set<String> values = new HashSet<>();
        List<String> all = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long quietUntil = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < quietUntil) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    all.add(r.value());
                    if (values.add(r.value())) {
                        quietUntil = System.currentTimeMillis() + 3_000;
                    }
                }
            }
        }
        System.out.printf("%s: %d records, %d distinct%n", topic, all.size(), values.size());
        return new ArrayList<>(values);
    }
}
