package io.caravan.bench;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Everything one benchmark run measured, as console tables, results.md and results.json. */
final class Results {

    final String date;
    final String machine;
    final boolean quick;
    final Map<String, Map<Variant, PipeResult>> brokers = new LinkedHashMap<>();
    final Map<String, Integer> rates = new LinkedHashMap<>();
    final Map<Integer, Double> kafkaScaling = new LinkedHashMap<>();
    final List<InstancesBench.Row> instances = new ArrayList<>();
    /** The ordering section: per trigger ordering (and " + lookup" with the slow step), its drain. */
    final Map<String, PipeRunner.Drain> ordering = new LinkedHashMap<>();
    final List<String> notes = new ArrayList<>();
    Long startupMs;
    CompileBench.Result compile;
    int workflowCount;

    Results(String date, String machine, boolean quick) {
        this.date = date;
        this.machine = machine;
        this.quick = quick;
    }

    void put(String broker, Variant variant, PipeResult result) {
        brokers.computeIfAbsent(broker, b -> new EnumMap<>(Variant.class)).put(variant, result);
    }

    ObjectNode json() {
        ObjectNode root = Payload.JSON.createObjectNode();
        root.put("date", date);
        root.put("machine", machine);
        ObjectNode bs = root.putObject("brokers");
        brokers.forEach((broker, pipes) -> {
            ObjectNode b = bs.putObject(broker);
            pipes.forEach((variant, r) -> {
                ObjectNode p = b.putObject(variant.key);
                p.put("messages", r.messages());
                p.put("msgs_per_s", round(r.msgsPerS(), 1));
                p.put("p50_ms", r.p50Ms());
                p.put("p99_ms", r.p99Ms());
                p.put("max_ms", r.maxMs());
                p.put("lost", r.lost());
                p.put("duplicated", r.duplicated());
                p.put("cpu_s", round(r.cpuS(), 2));
                p.put("peak_heap_mb", round(r.peakHeapMb(), 1));
            });
        });
        root.put("startup_ms", startupMs);
        root.put("compile_1000_ms", compile == null ? null : compile.warmMs());
        root.put("heap_1000_workflows_mb", compile == null ? null : round(compile.heapMb(), 1));
        if (kafkaScaling.isEmpty()) {
            root.putNull("kafka_scaling");
        } else {
            ObjectNode s = root.putObject("kafka_scaling");
            kafkaScaling.forEach((n, rate) -> s.put(String.valueOf(n), round(rate, 1)));
        }
        if (instances.isEmpty()) {
            root.putNull("scale_out");
        } else {
            ObjectNode s = root.putObject("scale_out");
            instances.forEach(r -> s.putObject(String.valueOf(r.instances())).put("msgs_per_s", round(r.msgsPerS(), 1))
                    .put("instances_cpu_s_per_10k", round(r.cpuSecondsPer10k(), 3))
                    .put("machine_busy_percent", round(r.machineBusyPercent(), 1)));
        }
        if (ordering.isEmpty()) {
            root.putNull("kafka_ordering");
        } else {
            ObjectNode o = root.putObject("kafka_ordering");
            ordering.forEach((mode, d) -> o.putObject(mode).put("msgs_per_s", round(d.msgsPerS(), 1))
                    .put("drained", d.drained()).put("cpu_s", round(d.cpuS(), 2)).put("lost", d.lost())
                    .put("duplicated", d.duplicated()));
        }
        return root;
    }

    private static double round(double value, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(value * f) / f;
    }

    /** One broker's table: the four pipes, then caravan's ratios to raw and to camel_tuned. */
    String table(String broker) {
        Map<Variant, PipeResult> pipes = brokers.get(broker);
        StringBuilder sb = new StringBuilder();
        sb.append("| ").append(broker).append(" | msgs/s | p50 ms | p99 ms | max ms | lost | dup | cpu s | cpu ms/1k msgs | heap MB |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        pipes.forEach((variant, r) -> sb.append(String.format("| %s | %s%s | %s | %s | %s | %d | %d | %.1f | %.0f | %.0f |%n",
                variant.key, Progress.n(Math.round(r.msgsPerS())), r.drainCapped() ? "*" : "",
                PipeRunner.fmt(r.p50Ms()), PipeRunner.fmt(r.p99Ms()), PipeRunner.fmt(r.maxMs()),
                r.lost(), r.duplicated(), r.cpuS(), cpuPerThousand(r), r.peakHeapMb())));
        PipeResult caravan = pipes.get(Variant.CARAVAN);
        for (Variant base : List.of(Variant.RAW, Variant.CAMEL_TUNED)) {
            PipeResult other = pipes.get(base);
            if (caravan == null || other == null) {
                continue;
            }
            sb.append(String.format("| caravan / %s | %s | %s | %s | %s | | | %s | %s | %s |%n", base.key,
                    ratio(caravan, other, PipeResult::msgsPerS), latencyRatio(caravan.p50Ms(), other.p50Ms()),
                    latencyRatio(caravan.p99Ms(), other.p99Ms()), latencyRatio(caravan.maxMs(), other.maxMs()),
                    ratio(caravan, other, PipeResult::cpuS), ratio(caravan, other, Results::cpuPerThousand),
                    ratio(caravan, other, PipeResult::peakHeapMb)));
        }
        PipeResult traced = pipes.get(Variant.CARAVAN_TRACED);
        if (caravan != null && traced != null) {
            sb.append(String.format("| caravan_traced / caravan | %s | %s | %s | %s | | | %s | %s | %s |%n",
                    ratio(traced, caravan, PipeResult::msgsPerS), latencyRatio(traced.p50Ms(), caravan.p50Ms()),
                    latencyRatio(traced.p99Ms(), caravan.p99Ms()), latencyRatio(traced.maxMs(), caravan.maxMs()),
                    ratio(traced, caravan, PipeResult::cpuS), ratio(traced, caravan, Results::cpuPerThousand),
                    ratio(traced, caravan, PipeResult::peakHeapMb)));
        }
        return sb.toString();
    }

    /** CPU per message: comparable even where a drain hit its cap and covered fewer messages. */
    static double cpuPerThousand(PipeResult r) {
        return r.messages() == 0 ? 0 : r.cpuS() * 1000 * 1000 / r.messages();
    }

    private static String ratio(PipeResult a, PipeResult b, ToDoubleFunction<PipeResult> f) {
        double x = f.applyAsDouble(a);
        double y = f.applyAsDouble(b);
        return y == 0 ? "n/a" : x / y >= 10 ? String.format("%.0f×", x / y) : String.format("%.2f×", x / y);
    }

    private static String latencyRatio(Double a, Double b) {
        if (a == null || b == null || b == 0) {
            return "n/a";
        }
        return a / b >= 10 ? String.format("%.0f×", a / b) : String.format("%.2f×", a / b);
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("Run of ").append(date).append(" on ").append(machine)
                .append(quick ? " — **--quick run: small counts, not comparable**" : "").append(".\n\n");
        sb.append("Throughput, CPU and heap: draining a pre-loaded source (* = the drain hit its time cap, rate over what it drained). ")
                .append("Latency: production → final consumer at a fixed rate (");
        List<String> r = new ArrayList<>();
        rates.forEach((b, rate) -> r.add(b + " " + rate + " msg/s"));
        sb.append(String.join(", ", r)).append("), after a warm-up; n/a: the pipe did not keep up with that rate. ")
                .append("Lost and dup count both phases. CPU and heap include the in-process brokers and the final consumer, ")
                .append("the same for every pipe.\n\n");
        brokers.forEach((broker, pipes) -> {
            sb.append("### ").append(broker).append("\n\n").append(table(broker)).append('\n');
            pipes.forEach((variant, p) -> {
                if (p.note() != null) {
                    sb.append("- ").append(variant.key).append(": ").append(p.note()).append('\n');
                }
            });
            sb.append('\n');
        });
        if (!kafkaScaling.isEmpty()) {
            sb.append("### Kafka scaling (caravan pipe, drain)\n\n| partitions and consumers | msgs/s |\n|---:|---:|\n");
            kafkaScaling.forEach((n, rate) -> sb.append("| ").append(n).append(" | ").append(Progress.n(Math.round(rate))).append(" |\n"));
            sb.append('\n');
        }
        if (!instances.isEmpty()) {
            sb.append("### Scale-out: a Kafka relay in 1, 2 and 3 `caravan run` processes (one group, ")
                    .append(InstancesBench.PARTITIONS).append(" partitions)\n\n")
                    .append("CPU: the instances' own, per 10,000 records; machine: all cores busy over the drain.\n\n")
                    .append("| instances | msgs/s | ratio to 1 | instances' CPU s per 10k | machine busy |\n|---:|---:|---:|---:|---:|\n");
            double one = instances.get(0).msgsPerS();
            instances.forEach(row -> sb.append("| ").append(row.instances()).append(" | ").append(Progress.n(Math.round(row.msgsPerS())))
                    .append(" | ").append(String.format("%.2f", row.msgsPerS() / one)).append(" | ")
                    .append(String.format("%.2f", row.cpuSecondsPer10k())).append(" | ")
                    .append(String.format("%.0f%%", row.machineBusyPercent())).append(" |\n"));
            sb.append('\n');
        }
        if (!ordering.isEmpty()) {
            sb.append("### Kafka trigger ordering (caravan pipe, drain; 3 partitions, 20 keys)\n\n")
                    .append("`+ lookup`: an http step answering in 0-25 ms before the send. Ratio: against `key` in the same group.\n\n")
                    .append("| ordering | drained | msgs/s | ratio to key | CPU s | lost | dup |\n|---|---:|---:|---:|---:|---:|---:|\n");
            ordering.forEach((mode, d) -> {
                PipeRunner.Drain key = ordering.get(mode.endsWith(" + lookup") ? "key + lookup" : "key");
                sb.append("| `").append(mode).append("` | ").append(Progress.n(d.drained())).append(" | ")
                        .append(Progress.n(Math.round(d.msgsPerS()))).append(" | ")
                        .append(key == null || key.msgsPerS() == 0 ? "n/a" : String.format("%.2f×", d.msgsPerS() / key.msgsPerS()))
                        .append(" | ").append(String.format("%.1f", d.cpuS())).append(" | ").append(d.lost()).append(" | ")
                        .append(d.duplicated()).append(" |\n");
            });
            sb.append('\n');
        }
        if (startupMs != null || compile != null) {
            sb.append("### Start-up and compile\n\n| | |\n|---|---:|\n");
            if (startupMs != null) {
                sb.append("| start-up: `caravan run` spawned → first message delivered (SQS → SQS) | ").append(startupMs).append(" ms |\n");
            }
            if (compile != null) {
                sb.append("| validate + compile ").append(workflowCount).append(" workflows, warm | ").append(compile.warmMs()).append(" ms |\n");
                sb.append("| validate + compile ").append(workflowCount).append(" workflows, cold (first pass in this JVM) | ").append(compile.coldMs()).append(" ms |\n");
                sb.append("| heap after deploying them in one runtime (webhook triggers) | ").append(String.format("%.0f MB", compile.heapMb())).append(" |\n");
                sb.append("| deploying them (runtime start) | ").append(compile.deployMs()).append(" ms |\n");
            }
            sb.append('\n');
        }
        if (!notes.isEmpty()) {
            sb.append("Notes:\n\n");
            notes.forEach(n -> sb.append("- ").append(n).append('\n'));
        }
        return sb.toString();
    }

    /** Replaces what is between the results markers of {@code docs} with this run's markdown. */
    void publish(Path docs) throws IOException {
        String text = Files.readString(docs);
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        if (start < 0 || end < start) {
            throw new IOException(docs + " has no " + START + " ... " + END + " section");
        }
        Files.writeString(docs, text.substring(0, start + START.length()) + "\n" + markdown() + text.substring(end));
    }

    private static final String START = "<!-- results -->";
    private static final String END = "<!-- /results -->";

    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("results.json"),
                Payload.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(json()) + "\n");
        Files.writeString(dir.resolve("results.md"), "# Caravan benchmark\n\n" + markdown());
    }
}
