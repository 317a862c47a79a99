package io.caravan.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Scale-out (issue 14): a Kafka relay run by 1, 2 and 3 {@code caravan run} processes (each its
 * own JVM, one consumer group) on a 6-partition topic. The instances start on an empty topic and
 * join the group and relay a fifth as many records to warm up; then this process sends the records as fast as the broker takes them and
 * times until the last one is relayed. Besides the rate: the CPU the instances used per 10,000
 * records, and how busy the whole machine was (/proc/stat), so that a machine out of cores reads
 * as what it is and not as a limit of Caravan's.
 */
final class InstancesBench {

    static final int PARTITIONS = 6;
    static final String WORKFLOW_ID = "bench-instances";

    /** One row: n instances. */
    record Row(int instances, long messages, double msgsPerS, double instancesCpuS, double machineBusyPercent) {

        double cpuSecondsPer10k() {
            return instancesCpuS * 10_000 / messages;
        }
    }

    private final Progress progress;
    private final List<String> notes;

    InstancesBench(Progress progress, List<String> notes) {
        this.progress = progress;
        this.notes = notes;
    }

    List<Row> run(KafkaBench kafka, int messages) throws Exception {
        List<Row> rows = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            rows.add(runOnce(kafka, n, messages));
        }
        notes.add("scale-out: each instance is `caravan run` in its own JVM; the rate includes this process sending the records "
                + "(and hosting the Kafka broker) on the same " + Runtime.getRuntime().availableProcessors() + " cores");
        return rows;
    }

    private Row runOnce(KafkaBench kafka, int n, int messages) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String src = "bench-instances-in-" + suffix;
        String dst = "bench-instances-out-" + suffix;
        String group = "bench-instances-" + suffix;
        kafka.create(src, dst, PARTITIONS);
        Path home = Files.createTempDirectory("caravan-bench-instances-");
        Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("workflows/relay.yaml"), CaravanPipe.workflow(WORKFLOW_ID, "kafka", src, dst, "bench", 1));
        Files.writeString(home.resolve("config/credentials.yaml"), kafka.credential("bench", group));
        List<Process> instances = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                Path log = home.resolve("caravan-" + i + ".log");
                instances.add(new ProcessBuilder(StartupBench.command(home)).directory(home.toFile())
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start());
            }
            awaitMembers(kafka, group + "." + WORKFLOW_ID, n, instances, home);
            // warm-up: every instance's JIT compiles the relay's path before the measured records
            send(kafka, src, messages / 5, 0);
            awaitRelayed(kafka, dst, messages / 5);
            double cpu0 = cpuSeconds(instances);
            long[] machine0 = machineTicks();
            long start = System.nanoTime();
            send(kafka, src, messages, messages / 5);
            awaitRelayed(kafka, dst, messages / 5 + messages);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpu = cpuSeconds(instances) - cpu0;
            long[] machine1 = machineTicks();
            double busy = machine0 == null || machine1 == null ? Double.NaN
                    : 100.0 * (machine1[0] - machine0[0]) / Math.max(1, machine1[1] - machine0[1]);
            Row row = new Row(n, messages, messages / seconds, cpu, busy);
            progress.line(String.format("  scale-out: %d instance(s): %s msg/s, instances' CPU %.2f s per 10k, machine %.0f%% busy",
                    n, Progress.n(Math.round(row.msgsPerS())), row.cpuSecondsPer10k(), busy));
            return row;
        } finally {
            for (Process p : instances) {
                p.toHandle().descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
            for (Process p : instances) {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
            kafka.delete(src, dst);
        }
    }

    /** Until the workflow's group has n members, each with a partition (every instance started and joined). */
    private static void awaitMembers(KafkaBench kafka, String group, int n, List<Process> instances, Path home) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            while (System.nanoTime() < deadline) {
                for (Process p : instances) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("an instance exited at start; see the logs under " + home);
                    }
                }
                try {
                    var members = admin.describeConsumerGroups(List.of(group)).all().get().get(group).members();
                    if (members.size() == n && members.stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty())) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    // the group does not exist yet
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException(n + " instances did not all join group " + group + " within 3 minutes; logs under " + home);
    }

    private static void send(KafkaBench kafka, String topic, int messages, int firstId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, "262144");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = firstId; i < firstId + messages; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, Payload.message(i)));
            }
            producer.flush();
        }
    }

    private static void awaitRelayed(KafkaBench kafka, String topic, int messages) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(p,
                new org.apache.kafka.common.serialization.StringDeserializer(), new org.apache.kafka.common.serialization.StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            while (System.nanoTime() < deadline) {
                if (consumer.endOffsets(List.of(tp), Duration.ofSeconds(5)).get(tp) >= messages) {
                    return;
                }
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("not all " + messages + " relayed within 5 minutes");
    }

    /** CPU time of the instances and their child processes (bin/caravan may run java as a child). */
    private static double cpuSeconds(List<Process> instances) {
        double total = 0;
        for (Process p : instances) {
            List<ProcessHandle> handles = new ArrayList<>(p.toHandle().descendants().toList());
            handles.add(p.toHandle());
            for (ProcessHandle h : handles) {
                total += h.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
            }
        }
        return total;
    }

    /** Busy and total jiffies of all cores from /proc/stat; null where there is none. */
    private static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
            return new long[] {total - idle, total};
        } catch (Exception e) {
            return null;
        }
    }
}
