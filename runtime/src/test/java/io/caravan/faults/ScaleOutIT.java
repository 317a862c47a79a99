package io.caravan.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 14's scale-out suite: several {@code caravan run} processes (the packaged jar) with one
 * workflow set, against shared brokers (Kafka and ElasticMQ in this JVM, the system RabbitMQ and
 * Redis).
 *
 * <p>Three instances start; 7,500 records each go into a 6-partition Kafka topic, an SQS queue,
 * a RabbitMQ queue and a Redis stream (30,000 in all), relayed by four workflows to one Kafka
 * topic. At 10% a fourth instance starts, at 30% the one leading the schedule is SIGKILLed; the
 * last 60% go in once the fourth runs. Every record is found downstream or in a dead letter
 * (duplicates are printed: the killed instance's runs in flight run again), every instance ran
 * some, and nothing is left unacknowledged (the killed instance's Redis entries are claimed by
 * another after reclaim_after, its Kafka partitions move after the session timeout).
 *
 * <p>Meanwhile a {@code schedule} fires every second on whichever instance leads it
 * ({@code caravan.cluster.service=file} on a shared directory, lease 5 s). Each instance's copy
 * of the workflow names the instance in its payload, so the ticks show who fired: one instance
 * at a time, never two ticks at once, the lead moving once, to a live instance, within the lease
 * after the kill. The instances' /metrics say which one leads.
 */
class ScaleOutIT extends FaultSupport {

    private static final int PER_BROKER = 7_500;
    private static final int TOTAL = 4 * PER_BROKER;
    private static final Duration LEASE = Duration.ofSeconds(5);
    private static final Pattern RECEIVED = Pattern.compile(
            "caravan_messages_received_total\\{[^}]*workflow=\"scale-[a-z]+\"[^}]*} ([0-9.E]+)");
    private static final Pattern LEADS = Pattern.compile("caravan_schedule_leader\\{[^}]*workflow=\"tick\"[^}]*} ([0-9.NaE]+)");
    private static final Pattern TICK = Pattern.compile("\"instance\"\\s*:\\s*\"(i[0-9])\"");

    /** One {@code caravan run} process with its own home and ports. */
    private record Instance(String name, Process process, int managementPort) {
    }

    private final HttpClient http = HttpClient.newHttpClient();
    /** The last count of runs each instance reported (a killed one keeps its last). */
    private final Map<String, Long> ran = new ConcurrentHashMap<>();

    @Test
    void instancesShareEveryQueueAndEachScheduleTickFiresOnceAcrossThem() throws Exception {
        TestBrokers.requireRabbitMq();
        TestBrokers.requireRedis();
        assertThat(Path.of("runtime/target/caravan.jar")).as("the packaged jar (failsafe runs after package)").exists();
        End kafka = End.of("kafka");
        End sqs = End.of("sqs");
        End rabbit = End.of("rabbitmq");
        End redis = End.of("redis");
        List<End> sources = List.of(kafka, sqs, rabbit, redis);
        String run = TestBrokers.unique("scale");
        String kafkaIn = run + "-kafka-in";
        String out = run + "-out";
        String ticks = run + "-ticks";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestBrokers.kafka().bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(kafkaIn, 6, (short) 1))).all().get();
        }
        kafka.create(out);
        kafka.create(ticks);
        sqs.create(run + "-sqs-in");
        rabbit.create(run + "-rabbitmq-in");
        redis.create(run + "-redis-in");
        Map<End, String> dlqs = new java.util.LinkedHashMap<>();
        for (End e : sources) {
            String dlq = e.defaultDeadLetter(run + "-" + e.type() + "-in");
            e.create(dlq);
            dlqs.put(e, dlq);
        }
        Path cluster = Files.createDirectories(home.resolve("cluster"));
        for (int i = 1; i <= 4; i++) {
            writeHome("i" + i, run, cluster, out, ticks, sources);
        }

        long started = System.nanoTime();
        List<Instance> instances = new CopyOnWriteArrayList<>();
        List<Thread> starting = new ArrayList<>();
        for (String name : List.of("i1", "i2", "i3")) {
            Thread t = new Thread(() -> {
                try {
                    instances.add(start(name));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            t.start();
            starting.add(t);
        }
        for (Thread t : starting) {
            t.join();
        }
        assertThat(instances).as("three instances started").hasSize(3);
        Thread scraper = new Thread(() -> scrape(instances));
        scraper.setDaemon(true);
        scraper.start();
        try {
            await("the schedule fired 3 times", Duration.ofSeconds(60), () -> kafka.count(ticks) >= 3, () -> "ticks " + kafka.count(ticks));
            Instance leader = leader(instances);
            log("scale-out: %s leads the schedule", leader.name());

            Tally tally = new Tally("scale-out");
            Map<End, List<String>> bodies = new java.util.LinkedHashMap<>();
            for (End e : sources) {
                List<String> these = new ArrayList<>();
                for (int n = 1; n <= PER_BROKER; n++) {
                    these.add(tally.sent(run + "-" + e.type(), n));
                }
                bodies.put(e, these);
            }
            // the three brokers filled side by side while the instances run, 500 records each every 2 s;
            // the last 60% only once the fourth instance runs (it takes up to a minute to start on two
            // loaded cores), so that it joins a stream still flowing
            java.util.concurrent.CountDownLatch fourthUp = new java.util.concurrent.CountDownLatch(1);
            List<Thread> senders = new ArrayList<>();
            bodies.forEach((e, these) -> {
                Thread t = new Thread(() -> {
                    try {
                        long due = System.nanoTime();
                        for (int i = 0; i < these.size(); i += 500) {
                            if (i == these.size() * 4 / 10) {
                                assertThat(fourthUp.await(3, TimeUnit.MINUTES)).as("the fourth instance started").isTrue();
                                due = System.nanoTime();
                            }
                            e.send(run + "-" + e.type() + "-in", these.subList(i, Math.min(i + 500, these.size())));
                            due += 2_000_000_000L;
                            Thread.sleep(Math.max(0, (due - System.nanoTime()) / 1_000_000));
                        }
                    } catch (Exception x) {
                        throw new IllegalStateException("sending to " + e.type() + " failed", x);
                    }
                });
                t.start();
                senders.add(t);
            });

            await("10% relayed", Duration.ofMinutes(2), () -> kafka.count(out) >= TOTAL / 10, () -> "relayed " + kafka.count(out));
            log("scale-out: starting i4 with %d relayed", kafka.count(out));
            Instance[] fourth = new Instance[1];
            Thread startingFourth = new Thread(() -> {
                try {
                    fourth[0] = start("i4");
                    instances.add(fourth[0]);
                    fourthUp.countDown();
                } catch (Exception x) {
                    throw new IllegalStateException(x);
                }
            });
            startingFourth.start();
            await("30% relayed", Duration.ofMinutes(2), () -> kafka.count(out) >= TOTAL * 3 / 10, () -> "relayed " + kafka.count(out));
            leader.process().destroyForcibly(); // SIGKILL
            assertThat(leader.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
            long killedAt = System.currentTimeMillis();
            long relayedAtKill = kafka.count(out);
            log("scale-out: SIGKILLed %s (the schedule's leader) with %d relayed", leader.name(), relayedAtKill);
            assertThat(relayedAtKill).as("killed mid-stream").isLessThan(TOTAL * 8 / 10);
            instances.remove(leader);
            startingFourth.join();
            assertThat(fourth[0]).as("the fourth instance started").isNotNull();
            log("scale-out: i4 runs, with %d relayed", kafka.count(out));
            for (Thread t : senders) {
                t.join();
            }
            log("scale-out: sent %d", TOTAL);

            awaitSettled(TOTAL, () -> kafka.count(out) + dlqs.entrySet().stream().mapToLong(d -> Math.max(0, d.getKey().count(d.getValue()))).sum());
            // ticks for at least 30 s, ten of them after the kill
            await("30 s of ticks, 10 s after the kill", Duration.ofSeconds(60),
                    () -> System.nanoTime() - started > Duration.ofSeconds(40).toNanos() && System.currentTimeMillis() - killedAt > 10_000,
                    () -> "waiting");
            Instance next = leader(instances);
            log("scale-out: %s leads the schedule now", next.name());

            long kafkaLeft = kafka.unacknowledged(kafkaIn, run, "scale-kafka");
            long sqsLeft = sqs.unacknowledged(run + "-sqs-in", run, "scale-sqs");
            long rabbitLeft = rabbit.unacknowledged(run + "-rabbitmq-in", run, "scale-rabbitmq");
            long redisLeft = redis.unacknowledged(run + "-redis-in", run, "scale-redis");
            log("scale-out: unacknowledged kafka=%d sqs=%d rabbitmq=%d redis=%d", kafkaLeft, sqsLeft, rabbitLeft, redisLeft);
            long left = kafkaLeft + sqsLeft + rabbitLeft + redisLeft;
            kafka.take(out).forEach(tally::delivered);
            for (var d : dlqs.entrySet()) {
                d.getKey().take(d.getValue()).forEach(tally::deadLettered);
            }
            System.out.println("FAULTS scenario=scale-out runs_per_instance=" + new java.util.TreeMap<>(ran));
            checkTicks(ticks, leader.name(), killedAt);
            reportAll(tally, started, left);
            assertThat(ran).as("runs per instance, the killed one's until its kill").containsOnlyKeys("i1", "i2", "i3", "i4");
            assertThat(ran.values()).as("every instance ran some").allMatch(n -> n > 0);
        } finally {
            scraper.interrupt();
            for (Instance i : instances) {
                i.process().destroy();
            }
            for (Instance i : instances) {
                if (!i.process().waitFor(30, TimeUnit.SECONDS)) {
                    i.process().destroyForcibly();
                }
            }
        }
    }

    /** Prints and asserts as every fault scenario does, for 30,000 records over three sources. */
    private static void reportAll(Tally tally, long startedNanos, long left) {
        System.out.println(tally.summary() + " uncommitted_source_records=" + left
                + " seconds=" + (System.nanoTime() - startedNanos) / 1_000_000_000);
        assertThat(tally.unknownBodies()).as("bodies without an id this scenario sent").isEmpty();
        assertThat(tally.lostIds()).as("LOST: sent, found neither downstream nor in a DLQ").isEmpty();
        assertThat(tally.sentCount()).isEqualTo(TOTAL);
        assertThat(left).as("source messages processed but never committed or acknowledged").isZero();
    }

    /**
     * The ticks in the order Kafka stamped them: one instance at a time, the killed leader
     * until its kill and then one live instance, never two ticks within 300 ms, a gap of at
     * most the lease (plus the timer's first delay and slack) at the kill, and at most 3 s
     * elsewhere on this loaded machine.
     */
    private void checkTicks(String topic, String killed, long killedAt) {
        List<long[]> times = new ArrayList<>();
        List<String> who = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                TestBrokers.kafka().bootstrapServers()), new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    Matcher m = TICK.matcher(r.value());
                    assertThat(m.find()).as("tick body " + r.value()).isTrue();
                    times.add(new long[] {r.timestamp()});
                    who.add(m.group(1));
                }
            }
        }
        StringBuilder runs = new StringBuilder();
        List<String> leaders = new ArrayList<>();
        long narrowest = Long.MAX_VALUE;
        long widestElsewhere = 0;
        long resumed = -1;
        for (int i = 0; i < who.size(); i++) {
            if (leaders.isEmpty() || !leaders.get(leaders.size() - 1).equals(who.get(i))) {
                leaders.add(who.get(i));
                runs.append(runs.isEmpty() ? "" : " ").append(who.get(i)).append('@').append(i);
            }
            if (resumed < 0 && times.get(i)[0] > killedAt) {
                resumed = times.get(i)[0] - killedAt;
            }
            if (i > 0) {
                long gap = times.get(i)[0] - times.get(i - 1)[0];
                narrowest = Math.min(narrowest, gap);
                if (times.get(i)[0] < killedAt || times.get(i - 1)[0] > killedAt) {
                    widestElsewhere = Math.max(widestElsewhere, gap);
                }
            }
        }
        long span = times.get(times.size() - 1)[0] - times.get(0)[0];
        System.out.println("FAULTS scenario=schedule-3-instances ticks=" + who.size() + " seconds=" + span / 1000
                + " leaders=" + runs + " narrowest_gap_ms=" + narrowest + " first_tick_after_kill_ms=" + resumed
                + " widest_other_gap_ms=" + widestElsewhere + " lease_ms=" + LEASE.toMillis());
        assertThat(span).as("ticks over at least 30 s").isGreaterThanOrEqualTo(30_000);
        assertThat(leaders).as("who fired, in turn: the first leader until it was killed, then one other").hasSize(2);
        assertThat(leaders.get(0)).isEqualTo(killed);
        assertThat(leaders.get(1)).isNotEqualTo(killed);
        assertThat(narrowest).as("no tick fired twice (two leaders)").isGreaterThanOrEqualTo(300);
        // the follower holds the leader stale after the lease, looks once per fifth of it, then
        // its timer waits its 1 s delay: lease + 1 s + 1 s, and 2 s of slack on a loaded machine
        assertThat(resumed).as("first tick after the kill").isBetween(0L, LEASE.toMillis() + 4_000);
        assertThat(widestElsewhere).as("gaps away from the kill").isLessThanOrEqualTo(3_000);
    }

    /** The one instance whose /metrics says it leads the schedule; the others say they do not. */
    private Instance leader(List<Instance> instances) throws Exception {
        Instance[] found = new Instance[1];
        await("exactly one instance reports caravan_schedule_leader 1", Duration.ofSeconds(30), () -> {
            List<Instance> leading = new ArrayList<>();
            int following = 0;
            for (Instance i : instances) {
                Matcher m = LEADS.matcher(metrics(i));
                if (m.find()) {
                    if (Double.parseDouble(m.group(1)) == 1.0) {
                        leading.add(i);
                    } else if (Double.parseDouble(m.group(1)) == 0.0) {
                        following++;
                    }
                }
            }
            found[0] = leading.size() == 1 ? leading.get(0) : null;
            return leading.size() == 1 && following == instances.size() - 1;
        }, () -> "not yet");
        return found[0];
    }

    /** Keeps each instance's latest count of runs of the relays, every 500 ms. */
    private void scrape(List<Instance> instances) {
        while (!Thread.currentThread().isInterrupted()) {
            for (Instance i : instances) {
                if (i.process().isAlive()) {
                    Matcher m = RECEIVED.matcher(metrics(i));
                    double sum = 0;
                    while (m.find()) {
                        sum += Double.parseDouble(m.group(1));
                    }
                    ran.merge(i.name(), (long) sum, Math::max);
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private String metrics(Instance i) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + i.managementPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    /**
     * An instance's home: the same relays for all, a schedule whose payload names the instance,
     * one credentials file, and the cluster settings: a lock directory shared by all, lease 5 s.
     */
    private void writeHome(String name, String run, Path cluster, String out, String ticks, List<End> brokers) throws Exception {
        Path dir = Files.createDirectories(home.resolve(name));
        Files.createDirectories(dir.resolve("workflows"));
        Files.createDirectories(dir.resolve("config"));
        StringBuilder credentials = new StringBuilder();
        for (End b : brokers) {
            credentials.append(b.credential(run)).append('\n');
            Files.writeString(dir.resolve("workflows/scale-" + b.type() + ".yaml"), """
                    id: scale-%1$s
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: %1$s, source: %2$s, %3$scredential_id: %1$s}}
                      - id: out
                        type: send_message
                        config: {queue_type: kafka, destination: %4$s, message: "{{input}}", credential_id: kafka}
                        error_handling:
                          retry: {max_attempts: 30, initial_delay: 200ms, multiplier: 2, max_delay: 2s, retry_on: [CONNECTION_FAILED, TIMEOUT]}
                    edges: [{from: in, to: out}]
                    """.formatted(b.type(), run + "-" + b.type() + "-in", b.receiveExtras(), out));
        }
        Files.writeString(dir.resolve("config/credentials.yaml"), credentials.toString());
        Files.writeString(dir.resolve("workflows/tick.yaml"), """
                id: tick
                nodes:
                  - {id: every, type: schedule, config: {interval: 1s, payload: {instance: %s}}}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: %s, message: "{{input}}", credential_id: kafka}}
                edges: [{from: every, to: out}]
                """.formatted(name, ticks));
        Files.writeString(dir.resolve("config/application.properties"), """
                caravan.cluster.service=file
                caravan.cluster.root=%s
                caravan.cluster.lease=%ds
                caravan.instance=%s
                """.formatted(cluster.toString().replace("\\", "/"), LEASE.toSeconds(), name));
    }

    private Instance start(String name) throws Exception {
        Path dir = home.resolve(name);
        // kept after the test (the home is a temporary folder): runtime/target/scale-out/<name>.log
        Path log = Files.createDirectories(Path.of("runtime/target/scale-out")).resolve(name + ".log");
        int management = Ports.free();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dcaravan.home=" + dir, "-jar", Path.of("runtime/target/caravan.jar").toAbsolutePath().toString(),
                "run", "--port", String.valueOf(Ports.free()), "-D", "caravan.management.port=" + management)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await("Caravan " + name + " started", Duration.ofSeconds(90),
                () -> Files.exists(log) && Files.readString(log).contains("Caravan started") || !p.isAlive(), () -> "still starting");
        assertThat(p.isAlive()).as(name + " exited at start: " + Files.readString(log)).isTrue();
        log("scale-out: %s started", name);
        return new Instance(name, p, management);
    }
}
