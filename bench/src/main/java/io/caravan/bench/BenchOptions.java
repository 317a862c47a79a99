package io.caravan.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The command line of {@code bin/caravan-bench}, and the sizes each mode uses. Sections:
 * {@code kafka}, {@code rabbitmq}, {@code sqs} (the four pipes on that broker), {@code scaling}
 * (Kafka with 1, 2 and 4 partitions), {@code ordering} (Kafka, the trigger's ordering modes with
 * and without a slow step), {@code startup} and {@code compile}.
 */
final class BenchOptions {

    static final List<String> SECTIONS = List.of("startup", "compile", "kafka", "scaling", "instances", "ordering", "rabbitmq", "sqs",
            "redis");

    static final String USAGE = """
            usage: caravan-bench [--quick] [--only SECTIONS] [--skip SECTIONS] [--out DIR] [--publish]

              --quick          small counts and short phases: a smoke run of a minute or two
              --only a,b       run only these sections
              --skip a,b       leave these sections out
              --out DIR        where results.md and results.json go (default target/bench)
              --publish        also put the results in docs/benchmarks.md (under "Latest results")

            sections: startup, compile, kafka, scaling, instances, ordering, rabbitmq, sqs, redis
            """;

    boolean quick;
    final Set<String> sections = new LinkedHashSet<>(SECTIONS);
    Path out = Path.of("target", "bench");
    boolean publish;
    Path docs = Path.of("docs", "benchmarks.md");

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> o.quick = true;
                case "--only" -> {
                    List<String> only = sections(value(args, ++i));
                    o.sections.retainAll(only);
                }
                case "--skip" -> o.sections.removeAll(sections(value(args, ++i)));
                case "--out" -> o.out = Path.of(value(args, ++i));
                case "--publish" -> o.publish = true;
                case "-h", "--help" -> throw new IllegalArgumentException("");
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
            }
        }
        return o;
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }

    private static List<String> sections(String list) {
        List<String> names = new ArrayList<>();
        for (String s : list.split(",")) {
            String name = s.strip().toLowerCase();
            if (name.isEmpty()) {
                continue;
            }
            if (!SECTIONS.contains(name)) {
                throw new IllegalArgumentException("unknown section '" + name + "'; sections: " + String.join(", ", SECTIONS));
            }
            names.add(name);
        }
        return names;
    }

    boolean has(String section) {
        return sections.contains(section);
    }

    /** Messages to pre-load and drain: the counts, or a small fraction for --quick. */
    int drainCount(Broker broker) {
        return quick ? broker.drainCount() / 100 : broker.drainCount();
    }

    /** Seconds at the fixed rate that are not measured (the pipe warms up). */
    double warmupSeconds() {
        return quick ? 0.5 : 5;
    }

    /** Seconds at the fixed rate that are measured. */
    double measureSeconds() {
        return quick ? 1.5 : 20;
    }

    /** Longest a drain may take; a pipe slower than that is reported on what it drained. */
    long drainCapSeconds() {
        return quick ? 5 : 90;
    }

    /** How long a phase waits for missing messages once nothing arrives any more. */
    long stallSeconds() {
        return quick ? 2 : 10;
    }

    /** Records drained per ordering run: without a slow step, and through a 0-25 ms lookup. */
    int orderingCount(boolean slow) {
        return quick ? (slow ? 200 : 2_000) : (slow ? 2_000 : 50_000);
    }

    int workflowCount() {
        return quick ? 50 : 1000;
    }
}
