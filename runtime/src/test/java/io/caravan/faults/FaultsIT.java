package io.caravan.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.AMQP;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * "Prove it under faults": 10,000 messages, each with a unique id in its body, go through a
 * workflow while something breaks mid-stream, and every one of them ends up delivered downstream
 * or in the dead-letter queue. The test reads everything downstream and in the DLQ with the
 * brokers' own clients and prints {@code FAULTS scenario=... sent delivered dead_lettered
 * duplicated lost}; duplicates (at-least-once) are counted, lost must be 0.
 *
 * <ul>
 *   <li>{@code broker-restart}: Kafka to RabbitMQ, and RabbitMQ (the system service on
 *       127.0.0.1:5672) is stopped with {@code rabbitmqctl stop_app} after ~3,000 deliveries and
 *       started again a few seconds later; the send retries CONNECTION_FAILED long enough to ride
 *       it out, anything else goes to a Kafka DLQ.</li>
 *   <li>{@code sigkill}: a real {@code caravan run} process (the packaged jar) reading Kafka to
 *       Kafka is killed with SIGKILL after ~3,000 deliveries and a new process is started on the
 *       same home; records after the last commit are read again (duplicates), none is lost.</li>
 * </ul>
 */
class FaultsIT {

    private static final int MESSAGES = 10_000;
    private static final int FAULT_AT = 3_000;
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path home;

    @Test
    void everyMessageIsDeliveredOrDeadLetteredWhenRabbitMqRestartsMidStream() throws Exception {
        TestBrokers.requireRabbitMq();
        requireRabbitmqctl();
        String run = TestBrokers.unique("faults-restart");
        String source = run + "-in";
        String destination = run + "-out";
        String dlq = run + "-dlq";
        TestBrokers.kafka().createTopic(source, 1);
        TestBrokers.kafka().createTopic(dlq, 1);
        BrokerClients.rabbitDeclare(destination); // durable, so what was delivered survives the restart
        writeCredentials(run);
        writeWorkflow("faults-restart", """
                id: faults-restart
                error_handling:
                  dead_letter: {queue_type: kafka, destination: %3$s, credential_id: kafka}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %1$s, max_messages: 100, credential_id: kafka}}
                  - id: out
                    type: send_message
                    config: {queue_type: rabbitmq, destination: %2$s, message: "{{input}}", credential_id: rabbit}
                    error_handling:
                      retry: {max_attempts: 30, initial_delay: 200ms, multiplier: 2, max_delay: 2s, retry_on: [CONNECTION_FAILED]}
                edges: [{from: in, to: out}]
                """.formatted(source, destination, dlq));

        Tally tally = new Tally("broker-restart");
        long started = System.nanoTime();
        boolean rabbitStopped = false;
        long sourceLag;
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            produce(source, run, tally);
            await("~" + FAULT_AT + " delivered to RabbitMQ", Duration.ofMinutes(2),
                    () -> rabbitCount(destination) >= FAULT_AT, () -> "rabbitmq " + destination + ": " + rabbitCount(destination));
            log("broker-restart: %d delivered, stopping RabbitMQ", rabbitCount(destination));
            rabbitStopped = true;
            rabbitmqctl("stop_app");
            Thread.sleep(5_000);
            rabbitmqctl("start_app");
            rabbitStopped = false;
            awaitRabbitUp();
            log("broker-restart: RabbitMQ back, %d in the queue", rabbitCount(destination));
            awaitSettled(() -> rabbitCount(destination) + endOffset(dlq));
            sourceLag = lag(run, source);
        } finally {
            if (rabbitStopped) {
                rabbitmqctl("start_app");
                awaitRabbitUp();
            }
        }
        try {
            rabbitDrain(destination).forEach(tally::delivered);
            kafkaReadAll(dlq).forEach(tally::deadLettered);
        } finally {
            BrokerClients.rabbitDelete(destination);
        }
        report(tally, started, sourceLag);
    }

    @Test
    void everyMessageIsDeliveredWhenCaravanIsKilledMidStreamAndStartedAgain() throws Exception {
        assertThat(Path.of("runtime/target/caravan.jar")).as("the packaged jar (failsafe runs after package)").exists();
        String run = TestBrokers.unique("faults-kill");
        String source = run + "-in";
        String destination = run + "-out";
        String dlq = run + "-dlq";
        for (String topic : List.of(source, destination, dlq)) {
            TestBrokers.kafka().createTopic(topic, 1);
        }
        writeCredentials(run);
        writeWorkflow("faults-kill", """
                id: faults-kill
                error_handling:
                  dead_letter: {queue_type: kafka, destination: %3$s, credential_id: kafka}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %1$s, max_messages: 100, credential_id: kafka}}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: %2$s, message: "{{input}}", credential_id: kafka}}
                edges: [{from: in, to: out}]
                """.formatted(source, destination, dlq));

        Tally tally = new Tally("sigkill");
        long started = System.nanoTime();
        produce(source, run, tally); // all 10,000 wait in the source before Caravan starts

        Process first = startCaravan("caravan-1.log");
        long deliveredAtKill;
        try {
            await("~" + FAULT_AT + " delivered to " + destination, Duration.ofMinutes(2),
                    () -> endOffset(destination) >= FAULT_AT, () -> "delivered " + endOffset(destination));
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no last commit
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("killed").isTrue();
            deliveredAtKill = endOffset(destination);
        } finally {
            first.destroyForcibly();
        }
        log("sigkill: killed with %d delivered, group lag %d", deliveredAtKill, lag(run, source));
        assertThat(deliveredAtKill).as("killed mid-stream, not after the end").isLessThan(MESSAGES);

        Process second = startCaravan("caravan-2.log");
        long sourceLag;
        try {
            awaitSettled(() -> endOffset(destination) + endOffset(dlq));
            sourceLag = lag(run, source);
            second.destroy(); // SIGTERM
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("second process stops on SIGTERM").isTrue();
        } finally {
            second.destroyForcibly();
        }
        kafkaReadAll(destination).forEach(tally::delivered);
        kafkaReadAll(dlq).forEach(tally::deadLettered);
        report(tally, started, sourceLag);
    }

    /**
     * Redis Streams to Redis Streams on the Redis on 127.0.0.1:6379, 10,000 entries waiting in the
     * source: Caravan is killed (SIGKILL) mid-stream and started again. What the first process took
     * and never acknowledged stays pending in the workflow's group and is claimed by the second
     * once idle for reclaim_after; nothing is lost, and the group ends with nothing pending.
     */
    @Test
    void everyEntryIsDeliveredWhenCaravanIsKilledMidRedisStreamAndStartedAgain() throws Exception {
        TestBrokers.requireRedis();
        String run = TestBrokers.unique("faults-redis-kill");
        String source = run + "-in";
        String destination = run + "-out";
        String dlq = run + "-dlq";
        try (RedisStreams redis = new RedisStreams(TestBrokers.REDIS_URL)) {
            try {
                writeCredentials(run, TestBrokers.REDIS_URL);
                writeWorkflow("faults-redis-kill", redisPipe("faults-redis-kill", source, destination, dlq));
                Tally tally = new Tally("redis-sigkill");
                long started = System.nanoTime();
                for (int n = 1; n <= MESSAGES; n++) {
                    redis.add(source, tally.sent(run, n));
                }
                Process first = startCaravan("caravan-redis-1.log");
                long deliveredAtKill;
                try {
                    await("~" + FAULT_AT + " delivered to " + destination, Duration.ofMinutes(2),
                            () -> redis.length(destination) >= FAULT_AT, () -> "delivered " + redis.length(destination));
                    first.destroyForcibly();
                    assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("killed").isTrue();
                    deliveredAtKill = redis.length(destination);
                } finally {
                    first.destroyForcibly();
                }
                log("redis-sigkill: killed with %d delivered, %d pending in the group", deliveredAtKill,
                        redis.pending(source, "faults-redis-kill"));
                assertThat(deliveredAtKill).as("killed mid-stream, not after the end").isLessThan(MESSAGES);

                Process second = startCaravan("caravan-redis-2.log");
                long pending;
                try {
                    awaitSettled(() -> redis.length(destination) + redis.length(dlq));
                    pending = redis.pending(source, "faults-redis-kill");
                    second.destroy();
                    assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("second process stops on SIGTERM").isTrue();
                } finally {
                    second.destroyForcibly();
                }
                redis.bodies(destination).forEach(tally::delivered);
                redis.bodies(dlq).forEach(tally::deadLettered);
                report(tally, started, pending);
            } finally {
                redis.delete(source, destination, dlq);
            }
        }
    }

    /**
     * Redis Streams to Redis Streams on a Redis this test starts (append-only file, fsync every
     * second), killed with SIGKILL mid-stream and started again on the same port and directory.
     * Sends cut off by the restart fail and are retried; acknowledgements lost with it leave entries
     * pending, claimed again: duplicates, never a loss.
     */
    @Test
    void everyEntryIsDeliveredWhenRedisRestartsMidStream() throws Exception {
        TestBrokers.requireRedis();
        assertThat(commandExists("redis-server")).as("redis-server (Debian package redis-server)").isTrue();
        int port = Ports.free();
        Path dir = Files.createDirectories(home.resolve("redis"));
        String url = "redis://127.0.0.1:" + port;
        Process server = startRedis(port, dir);
        String run = TestBrokers.unique("faults-redis-restart");
        String source = run + "-in";
        String destination = run + "-out";
        String dlq = run + "-dlq";
        RedisStreams redis = null;
        try {
            redis = new RedisStreams(url);
            writeCredentials(run, url);
            writeWorkflow("faults-redis-restart", redisPipe("faults-redis-restart", source, destination, dlq));
            Tally tally = new Tally("redis-restart");
            long started = System.nanoTime();
            for (int n = 1; n <= MESSAGES; n++) {
                redis.add(source, tally.sent(run, n));
            }
            long pending;
            RedisStreams streams = redis;
            try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                    "caravan.http.port", String.valueOf(Ports.free()),
                    "caravan.management.port", String.valueOf(Ports.free())))).start()) {
                await("~" + FAULT_AT + " delivered to " + destination, Duration.ofMinutes(2),
                        () -> streams.length(destination) >= FAULT_AT, () -> "delivered " + streams.length(destination));
                log("redis-restart: %d delivered, killing Redis", streams.length(destination));
                server.destroyForcibly();
                server.waitFor(30, TimeUnit.SECONDS);
                Thread.sleep(3_000);
                server = startRedis(port, dir);
                log("redis-restart: Redis back, %d in the destination", streams.length(destination));
                awaitSettled(() -> streams.length(destination) + streams.length(dlq));
                pending = streams.pending(source, "faults-redis-restart");
            }
            redis.bodies(destination).forEach(tally::delivered);
            redis.bodies(dlq).forEach(tally::deadLettered);
            report(tally, started, pending);
        } finally {
            if (redis != null) {
                redis.close();
            }
            server.destroyForcibly();
        }
    }

    /** Source to destination on one Redis; a dead letter on it too; entries left pending are claimed after 3 s. */
    private static String redisPipe(String id, String source, String destination, String dlq) {
        return """
                id: %1$s
                error_handling:
                  dead_letter: {queue_type: redis, destination: %4$s, credential_id: redis}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: redis, source: %2$s, reclaim_after: 3s, max_deliveries: 100, credential_id: redis}}
                  - id: out
                    type: send_message
                    config: {queue_type: redis, destination: %3$s, message: "{{input}}", credential_id: redis}
                    error_handling:
                      retry: {max_attempts: 30, initial_delay: 200ms, multiplier: 2, max_delay: 2s, retry_on: [CONNECTION_FAILED]}
                edges: [{from: in, to: out}]
                """.formatted(id, source, destination, dlq);
    }

    /** A throwaway redis-server with an append-only file, answering PONG (not LOADING) before this returns. */
    private static Process startRedis(int port, Path dir) throws Exception {
        Process p = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis-" + System.nanoTime() + ".log").toFile()).start();
        await("redis-server on " + port + " answers PONG", Duration.ofSeconds(30), () -> {
            try (RedisStreams probe = new RedisStreams("redis://127.0.0.1:" + port)) {
                return probe.ping();
            } catch (Exception e) {
                return false;
            }
        }, () -> p.isAlive() ? "starting" : "exited");
        return p;
    }

    private static boolean commandExists(String command) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    /** The test's own Redis client (Lettuce), apart from Caravan's. */
    private static final class RedisStreams implements AutoCloseable {

        private final io.lettuce.core.RedisClient client;
        private final io.lettuce.core.api.StatefulRedisConnection<String, String> connection;

        RedisStreams(String url) {
            client = io.lettuce.core.RedisClient.create(url);
            connection = client.connect();
        }

        boolean ping() {
            return "PONG".equals(connection.sync().ping());
        }

        void add(String stream, String body) {
            connection.async().xadd(stream, Map.of("body", body));
        }

        long length(String stream) {
            return connection.sync().xlen(stream);
        }

        long pending(String stream, String group) {
            return connection.sync().xpending(stream, group).getCount();
        }

        List<String> bodies(String stream) {
            return connection.sync().xrange(stream, io.lettuce.core.Range.create("-", "+")).stream()
                    .map(m -> m.getBody().get("body")).toList();
        }

        void delete(String... streams) {
            connection.sync().del(streams);
        }

        @Override
        public void close() {
            connection.close();
            client.shutdown();
        }
    }

    // ---- figures

    /**
     * Prints the figures, then asserts: nothing lost, nothing foreign, and the source's consumer
     * group committed everything it processed (uncommitted records are re-read on every restart).
     */
    private static void report(Tally tally, long startedNanos, long sourceLag) {
        System.out.println(tally.summary() + " uncommitted_source_records=" + sourceLag
                + " seconds=" + (System.nanoTime() - startedNanos) / 1_000_000_000);
        assertThat(tally.unknownBodies()).as("bodies without an id this scenario sent").isEmpty();
        assertThat(tally.lostIds()).as("LOST: sent, found neither downstream nor in the DLQ").isEmpty();
        assertThat(tally.found()).isGreaterThanOrEqualTo(tally.sentCount());
        assertThat(sourceLag).as("source messages processed but never committed (Kafka) or acknowledged (Redis) by the group").isZero();
    }

    /** Until downstream plus DLQ hold at least every sent message and stop growing for 10 s. */
    private static void awaitSettled(Callable<Long> copies) throws Exception {
        long[] last = {-1, System.nanoTime()};
        await("downstream + DLQ >= " + MESSAGES + " and no change for 10 s", DRAIN_TIMEOUT, () -> {
            long now = copies.call();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
            }
            return now >= MESSAGES && System.nanoTime() - last[1] > Duration.ofSeconds(10).toNanos();
        }, () -> "downstream + DLQ " + last[0]);
    }

    // ---- Caravan

    private void writeCredentials(String group) throws Exception {
        writeCredentials(group, TestBrokers.REDIS_URL);
    }

    private void writeCredentials(String group, String redisUrl) throws Exception {
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), """
                kafka: {type: queue_kafka, brokers: ["%s"], consumer_group: %s}
                rabbit: {type: queue_rabbitmq, url: "%s"}
                redis: {type: queue_redis, url: "%s"}
                """.formatted(TestBrokers.kafka().bootstrapServers(), group, TestBrokers.RABBITMQ_URL, redisUrl));
    }

    private void writeWorkflow(String id, String yaml) throws Exception {
        Files.writeString(Files.createDirectories(home.resolve("workflows")).resolve(id + ".yaml"), yaml);
    }

    private Process startCaravan(String logName) throws Exception {
        Path log = home.resolve(logName);
        Process caravan = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcaravan.home=" + home, "-jar", Path.of("runtime/target/caravan.jar").toAbsolutePath().toString(),
                "run", "--port", String.valueOf(Ports.free()), "-D", "caravan.management.port=" + Ports.free())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await("Caravan started (" + logName + ")", Duration.ofSeconds(60),
                () -> Files.exists(log) && Files.readString(log).contains("Caravan started"),
                () -> caravan.isAlive() ? "still starting" : "exited: " + Files.readString(log));
        return caravan;
    }

    // ---- Kafka

    private static void produce(String topic, String run, Tally tally) throws Exception {
        Properties p = kafkaProperties();
        p.put("linger.ms", "20");
        p.put("batch.size", "65536");
        p.put("acks", "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int n = 1; n <= MESSAGES; n++) {
                producer.send(new ProducerRecord<>(topic, tally.sent(run, n)));
            }
            producer.flush();
        }
        log("sent %d to %s", MESSAGES, topic);
    }

    /** Every record on the topic from the beginning to its end offsets now. */
    private static List<String> kafkaReadAll(String topic) {
        Properties p = kafkaProperties();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                assertThat(System.nanoTime()).as("read " + topic + " to its end within 60 s").isLessThan(deadline);
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
            return values;
        }
    }

    private static long endOffset(String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafkaProperties(), new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Records of {@code topic} the group has not committed yet (all of them before its first commit). */
    private static long lag(String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, TestBrokers.kafka().bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            long end = endOffset(topic);
            long done = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
            return end - done;
        }
    }

    private static Properties kafkaProperties() {
        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        return p;
    }

    // ---- RabbitMQ

    private static void requireRabbitmqctl() {
        String problem;
        try {
            Process p = new ProcessBuilder("rabbitmqctl", "status").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
            problem = "rabbitmqctl status failed: " + out;
        } catch (Exception e) {
            problem = "rabbitmqctl cannot run: " + e.getMessage();
        }
        if ("true".equalsIgnoreCase(System.getenv(TestBrokers.REQUIRE_RABBITMQ_ENV))) {
            Assertions.fail(problem + " and " + TestBrokers.REQUIRE_RABBITMQ_ENV + "=true");
        }
        System.err.println("\n*** SKIPPED broker-restart: " + problem + " ***\n");
        Assumptions.abort(problem);
    }

    private static void rabbitmqctl(String command) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("rabbitmqctl " + command + " within 60 s").isTrue();
        assertThat(p.exitValue()).as("rabbitmqctl " + command + ": " + out).isZero();
        log("rabbitmqctl %s: done", command);
    }

    private static void awaitRabbitUp() throws Exception {
        await("RabbitMQ answers again", Duration.ofSeconds(60),
                FaultsIT::rabbitAnswers,
                () -> "down");
    }

    private static boolean rabbitAnswers() {
        if (!Ports.answers(TestBrokers.RABBITMQ_HOST, TestBrokers.RABBITMQ_PORT)) {
            return false;
        }
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            return ch.isOpen();
        } catch (Exception e) {
            return false;
        }
    }

    /** Ready messages in a queue, or -1 while RabbitMQ cannot be reached. */
    private static long rabbitCount(String queue) {
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            return ch.queueDeclarePassive(queue).getMessageCount();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Every message in the queue, consumed and acknowledged. */
    private static List<String> rabbitDrain(String queue) throws Exception {
        long expected = rabbitCount(queue);
        List<String> bodies = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicLong last = new AtomicLong(System.nanoTime());
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            ch.basicQos(1000);
            ch.basicConsume(queue, true, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    bodies.add(new String(body, StandardCharsets.UTF_8));
                    last.set(System.nanoTime());
                }
            });
            while (bodies.size() < expected && System.nanoTime() - last.get() < Duration.ofSeconds(10).toNanos()) {
                Thread.sleep(100);
            }
        }
        assertThat(bodies).as("drained " + queue).hasSizeGreaterThanOrEqualTo((int) expected);
        return new ArrayList<>(bodies);
    }

    // ---- waiting

    private static void await(String what, Duration timeout, Callable<Boolean> condition, Callable<String> progress)
            throws Exception {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        long nextLog = start + Duration.ofSeconds(5).toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what + " (" + progress.call() + ")");
            }
            if (System.nanoTime() > nextLog) {
                log("waiting for %s: %s", what, progress.call());
                nextLog = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            }
            Thread.sleep(50);
        }
    }

    private static void log(String format, Object... args) {
        System.out.println("[faults] " + String.format(format, args));
    }
}
