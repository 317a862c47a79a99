package io.caravan.bench;

import io.caravan.brokers.EmbeddedSqs;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * {@code bin/caravan-bench}: one process, the same broker instances, four pipes per broker
 * (raw client, Camel defaults, Camel tuned, Caravan workflow), plus Kafka scaling, start-up
 * and compile figures. It reports; it does not pass or fail.
 */
public final class CaravanBench {

    private CaravanBench() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out);
        System.exit(code);
    }

    /** Runs the benchmark; 0 when it ran, 2 on a usage error, 1 when a section failed. */
    public static int run(String[] args, PrintStream out) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                out.println("caravan-bench: " + e.getMessage());
            }
            out.print(BenchOptions.USAGE);
            return 2;
        }
        quietLogs();
        Progress progress = new Progress(out, options.quick ? 1 : 3);
        Results results = new Results(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME).substring(0, 19)
                .replace('T', ' '), machine(), options.quick);
        long started = System.nanoTime();
        progress.line("caravan-bench" + (options.quick ? " --quick" : "") + ": " + String.join(", ", options.sections)
                + " on " + results.machine);
        int failures = 0;
        PipeRunner runner = new PipeRunner(options, progress);

        if (options.has("startup") || options.has("compile")) {
            try (EmbeddedSqs sqs = EmbeddedSqs.start(0)) {
                if (options.has("startup")) {
                    failures += section(progress, "startup", () -> {
                        results.startupMs = new StartupBench(progress, results.notes).run(sqs);
                        progress.line("  startup: " + results.startupMs + " ms from spawning `caravan run` to the first message delivered");
                    });
                }
                if (options.has("compile")) {
                    failures += section(progress, "compile", () -> {
                        results.workflowCount = options.workflowCount();
                        results.compile = new CompileBench(progress).run(sqs, options.workflowCount());
                        progress.line(String.format("  compile: %d workflows validated + compiled in %d ms warm (%d ms cold);"
                                        + " deployed: %.0f MB of heap, started in %d ms", results.workflowCount,
                                results.compile.warmMs(), results.compile.coldMs(), results.compile.heapMb(), results.compile.deployMs()));
                    });
                }
            }
        }

        for (String name : List.of("kafka", "rabbitmq", "sqs", "redis")) {
            boolean scaling = name.equals("kafka") && options.has("scaling");
            boolean ordering = name.equals("kafka") && options.has("ordering");
            boolean instances = name.equals("kafka") && options.has("instances");
            if (!options.has(name) && !scaling && !ordering && !instances) {
                continue;
            }
            Supplier<Broker> start = switch (name) {
                case "kafka" -> KafkaBench::new;
                case "rabbitmq" -> () -> {
                    try {
                        return new RabbitMqBench();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                };
                case "redis" -> RedisBench::new;
                default -> SqsBench::new;
            };
            progress.line(name + ": starting the broker");
            try (Broker broker = start.get()) {
                if (options.has(name)) {
                    results.rates.put(name, broker.fixedRate());
                    // -Dcaravan.bench.pipes=raw,caravan runs only those pipes (for working on one of them)
                    String pipes = System.getProperty("caravan.bench.pipes", "");
                    for (Variant variant : broker.variants()) {
                        if (!pipes.isEmpty() && !List.of(pipes.split(",")).contains(variant.key)) {
                            continue;
                        }
                        failures += section(progress, name + "/" + variant.key,
                                () -> results.put(name, variant, runner.run(broker, variant)));
                    }
                    if (results.brokers.containsKey(name)) {
                        out.println();
                        out.print(results.table(name));
                        out.println();
                    }
                }
                if (scaling) {
                    failures += section(progress, "kafka scaling", () -> scaling(broker, runner, results, progress));
                }
                if (instances) {
                    failures += section(progress, "scale-out", () -> results.instances.addAll(
                            new InstancesBench(progress, results.notes).run((KafkaBench) broker, options.quick ? 30_000 : 100_000)));
                }
                if (ordering) {
                    failures += section(progress, "kafka ordering", () -> ordering((KafkaBench) broker, runner, options,
                            results, progress));
                }
                broker.notes.forEach(n -> {
                    if (!results.notes.contains(n)) {
                        results.notes.add(n);
                    }
                });
            } catch (RuntimeException e) {
                failures++;
                progress.line(name + ": could not start the broker: " + e.getMessage());
                results.notes.add(name + ": not measured, the broker did not start: " + e.getMessage());
            }
        }
        results.notes.add("CPU seconds: this process's CPU time (OperatingSystemMXBean.getProcessCpuTime) over the drain, "
                + "from the first to the last message at the final consumer; peak heap: the sum of the heap pools' peaks "
                + "over the same span (peaks reset when it starts).");
        results.notes.add("The brokers run in this process and the machine may be shared: compare the pipes of one run, not runs.");
        try {
            results.write(options.out);
            if (options.publish) {
                results.publish(options.docs);
                progress.line("published in " + options.docs);
            }
            progress.line(String.format("done in %.0f s: %s and %s", (System.nanoTime() - started) / 1e9,
                    options.out.resolve("results.md"), options.out.resolve("results.json")));
        } catch (Exception e) {
            progress.line("caravan-bench: could not write the results: " + e);
            return 1;
        }
        return failures == 0 ? 0 : 1;
    }

    interface Section {
        void run() throws Exception;
    }

    /** Runs one section; a failure is reported and the benchmark goes on with the next. */
    private static int section(Progress progress, String name, Section section) {
        try {
            section.run();
            return 0;
        } catch (Exception | Error e) {
            progress.line("  " + name + " FAILED: " + e);
            e.printStackTrace();
            return 1;
        }
    }

    /** The Caravan Kafka pipe draining a topic of 1, 2 and 4 partitions with as many consumers. */
    private static void scaling(Broker broker, PipeRunner runner, Results results, Progress progress) throws Exception {
        for (int n : List.of(1, 2, 4)) {
            CaravanPipe[] last = new CaravanPipe[1];
            PipeRunner.Drain d = runner.drain(broker, "scaling" + n, "kafka/caravan x" + n, n, (src, dst) -> {
                last[0] = new CaravanPipe(broker, src, dst, n);
                return last[0];
            });
            results.kafkaScaling.put(n, d.msgsPerS());
            String fallback = "";
            if (last[0].fallback() != null) {
                fallback = " (asked for " + n + " consumers: " + last[0].fallback() + ")";
                results.notes.add("kafka scaling, " + n + " partitions: " + last[0].fallback());
            }
            progress.line(String.format("  kafka scaling: %d partition(s), %d consumer(s): %s msg/s, lost %d%s", n,
                    last[0].effectiveConsumers(), Progress.n(Math.round(d.msgsPerS())), d.lost(), fallback));
            if (d.lost() > 0) {
                results.notes.add("kafka scaling x" + n + ": " + d.lost() + " messages lost");
            }
        }
    }

    /**
     * The Caravan Kafka pipe draining a 3-partition topic of records with 20 keys, with each
     * trigger {@code ordering}, without and with an http step answering in 0-25 ms (random, as
     * issue 11's lookup): what per-key order costs against none, and what it saves against
     * one-at-a-time per partition when a step blocks.
     */
    private static void ordering(KafkaBench broker, PipeRunner runner, BenchOptions options, Results results,
                                 Progress progress) throws Exception {
        // the JDK server writes headers and body apart: without TCP_NODELAY each answer waits ~40 ms
        // for a delayed ACK (measured: 335 answers/s from 16 client threads, 1,900 with it)
        System.setProperty("sun.net.httpserver.nodelay", "true");
        com.sun.net.httpserver.HttpServer lookup = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        lookup.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(64));
        lookup.createContext("/lookup", exchange -> {
            try {
                Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextInt(26));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = "{\"tier\": \"gold\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lookup.start();
        broker.keys = 20;
        try {
            for (boolean slow : List.of(false, true)) {
                String url = slow ? "http://127.0.0.1:" + lookup.getAddress().getPort() + "/lookup" : null;
                for (String order : List.of("key", "partition", "none")) {
                    String tag = "kafka/ordering " + order + (slow ? " + lookup" : "");
                    PipeRunner.Drain d = runner.drain(broker, "order-" + order + (slow ? "-slow" : ""), tag, 3,
                            options.orderingCount(slow),
                            (src, dst) -> new CaravanPipe(broker, src, dst, 1).ordered(order, url));
                    results.ordering.put(order + (slow ? " + lookup" : ""), d);
                    progress.line(String.format("  %-34s %s msg/s, cpu %.1f s, lost %d, dup %d", tag,
                            Progress.n(Math.round(d.msgsPerS())), d.cpuS(), d.lost(), d.duplicated()));
                }
            }
        } finally {
            broker.keys = 0;
            lookup.stop(0);
            ((java.util.concurrent.ExecutorService) lookup.getExecutor()).shutdownNow();
        }
    }

    private static void quietLogs() {
        if (Boolean.getBoolean("caravan.bench.verbose")) {
            return;
        }
        Configurator.setLevel(Map.of("org.apache.camel", Level.WARN, "io.caravan", Level.WARN,
                "org.springframework", Level.WARN, "software.amazon", Level.WARN, "org.apache.kafka", Level.ERROR,
                "kafka", Level.ERROR, "com.rabbitmq", Level.WARN, "io.lettuce", Level.WARN));
    }

    /** Cores, CPU model, memory, OS and JVM. */
    static String machine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("");
        } catch (Exception e) {
            // not Linux
        }
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        return String.format("%d cores%s, %.0f GiB RAM, %s %s, Java %s (%s), max heap %.0f MiB",
                Runtime.getRuntime().availableProcessors(), cpu.isEmpty() ? "" : " (" + cpu + ")",
                os.getTotalMemorySize() / (1024.0 * 1024 * 1024), System.getProperty("os.name"),
                System.getProperty("os.version"), System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().maxMemory() / (1024.0 * 1024));
    }
}
