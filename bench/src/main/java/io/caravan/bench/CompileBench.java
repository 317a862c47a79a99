package io.caravan.bench;

import io.caravan.compile.WorkflowCompiler;
import io.caravan.credential.CredentialStore;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.WorkflowSet;
import io.caravan.workflow.Workflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Validate + compile time of many distinct workflows, and the heap they take once deployed in
 * one runtime. The workflows are webhook-triggered (an idle webhook costs nothing but its
 * route), with 2 to 9 nodes of different types and templates, some sending to SQS.
 */
final class CompileBench {

    static final int QUEUES = 5;

    record Result(long coldMs, long warmMs, double heapMb, long deployMs) {
    }

    private final Progress progress;

    CompileBench(Progress progress) {
        this.progress = progress;
    }

    Result run(EmbeddedSqs sqs, int count) throws Exception {
        Path home = Files.createTempDirectory("caravan-bench-compile-");
        Path dir = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), "bench-sqs: {type: queue_aws_sqs, region: "
                + EmbeddedSqs.REGION + ", endpoint: \"" + sqs.endpoint() + "\", access_key_id: x, secret_access_key: x}\n");
        for (int q = 0; q < QUEUES; q++) {
            sqs.createQueue("bench-compile-" + q);
        }
        for (int i = 0; i < count; i++) {
            Files.writeString(dir.resolve(String.format("wf-%04d.yaml", i)), workflow(i));
        }
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(CaravanPipe.freePort()),
                "caravan.management.port", String.valueOf(CaravanPipe.freePort())));
        CredentialStore credentials = WorkflowSet.loadCredentials(options);

        progress.line("  compile: " + count + " workflows, cold pass");
        long cold = compileAll(dir, credentials, count);
        progress.line("  compile: warm pass (cold took " + cold + " ms)");
        long warm = compileAll(dir, credentials, count);

        progress.line("  compile: deploying " + count + " workflows into one runtime");
        double before = Meter.usedHeapMbAfterGc();
        long t = System.nanoTime();
        CaravanRuntime runtime = CaravanRuntime.create(options).start();
        long deployMs = (System.nanoTime() - t) / 1_000_000;
        try {
            int running = runtime.context().getRoutes().size();
            if (running < count) {
                throw new IllegalStateException("only " + running + " of " + count + " workflows are running");
            }
            double after = Meter.usedHeapMbAfterGc();
            return new Result(cold, warm, after - before, deployMs);
        } finally {
            runtime.close();
        }
    }

    private static long compileAll(Path dir, CredentialStore credentials, int count) {
        long t = System.nanoTime();
        List<Workflow> workflows = WorkflowSet.load(List.of(dir), credentials);
        WorkflowCompiler compiler = WorkflowCompiler.standard();
        workflows.forEach(compiler::compile);
        if (workflows.size() != count) {
            throw new IllegalStateException("expected " + count + " workflows, got " + workflows.size());
        }
        return (System.nanoTime() - t) / 1_000_000;
    }

    /** Workflow number i: a webhook, then a chain of 1 to 8 nodes, the last ones a branch for some. */
    static String workflow(int i) {
        StringBuilder nodes = new StringBuilder();
        StringBuilder edges = new StringBuilder();
        nodes.append("  - {id: hook, type: webhook, name: Webhook ").append(i).append("}\n");
        String previous = "hook";
        int chain = 1 + i % 8;
        for (int j = 0; j < chain; j++) {
            String id = "n" + j;
            switch ((i + j) % 4) {
                case 0 -> nodes.append("  - id: ").append(id).append("\n    type: transform\n    config:\n      template: '{\"order\": \"{{input.order_id}}\", \"step\": ")
                        .append(j).append(", \"wf\": ").append(i).append("}'\n");
                case 1 -> nodes.append("  - id: ").append(id).append("\n    type: log\n    config:\n      message: \"workflow ")
                        .append(i).append(" step ").append(j).append(" for {{input.customer}}\"\n");
                case 2 -> nodes.append("  - id: ").append(id).append("\n    type: send_message\n    config:\n      queue_type: sqs\n      destination: bench-compile-")
                        .append((i + j) % QUEUES).append("\n      message: '{\"id\": \"{{input.id}}\", \"wf\": ").append(i)
                        .append("}'\n      attributes: {step: \"").append(j).append("\"}\n      credential_id: bench-sqs\n");
                default -> nodes.append("  - id: ").append(id).append("\n    type: delay\n    config: {duration: ")
                        .append(1 + j).append("ms}\n");
            }
            edges.append("  - {from: ").append(previous).append(", to: ").append(id).append("}\n");
            previous = id;
        }
        if (i % 3 == 0) {
            nodes.append("  - {id: check, type: condition, config: {expression: \"{{input.amount}} > ").append(i).append("\"}}\n");
            nodes.append("  - {id: big, type: log, config: {message: \"big {{input.amount}}\"}}\n");
            nodes.append("  - {id: small, type: log, config: {message: \"small {{input.amount}}\", level: debug}}\n");
            edges.append("  - {from: ").append(previous).append(", to: check}\n");
            edges.append("  - {from: check, to: big, when: true}\n  - {from: check, to: small, when: false}\n");
        }
        return "id: bench-wf-" + i + "\nname: Benchmark workflow " + i + "\nnodes:\n" + nodes + "edges:\n" + edges;
    }
}
