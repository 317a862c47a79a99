package io.caravan.bench;

import io.caravan.brokers.EmbeddedSqs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Start-up: {@code caravan run} as a child process with one workflow (SQS → SQS, whose source
 * already holds one message), timed from spawning the process to that message at the
 * destination. SQS because its consumer needs no group join or channel set-up: the first
 * ReceiveMessage returns the waiting message.
 */
final class StartupBench {

    private final Progress progress;
    private final List<String> notes;

    StartupBench(Progress progress, List<String> notes) {
        this.progress = progress;
        this.notes = notes;
    }

    long run(EmbeddedSqs sqs) throws Exception {
        Path jar = Path.of("runtime", "target", "caravan.jar");
        Path archive = Path.of("runtime", "target", "caravan.jsa");
        if (Files.exists(jar) && (!Files.exists(archive)
                || Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) < 0)) {
            // the first start after a build records the class-data-sharing archive (bin/caravan)
            long first = startOnce(sqs);
            notes.add("start-up: the first start after a build took " + first
                    + " ms; it records runtime/target/caravan.jsa (class data sharing) that later starts use");
        }
        return startOnce(sqs);
    }

    /**
     * Fresh queues and home each time: ElasticMQ keeps serving a long poll whose client has gone,
     * so a message sent right after a stop could sit invisible for the visibility timeout.
     */
    private long startOnce(EmbeddedSqs sqs) throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String in = "bench-startup-in-" + suffix;
        String out = "bench-startup-out-" + suffix;
        String inUrl = sqs.createQueue(in);
        String outUrl = sqs.createQueue(out);
        Path home = Files.createTempDirectory("caravan-bench-startup-");
        Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("workflows/startup.yaml"), CaravanPipe.workflow("bench-startup", "sqs", in, out, "bench", 1));
        Files.writeString(home.resolve("config/credentials.yaml"), "bench: {type: queue_aws_sqs, region: " + EmbeddedSqs.REGION
                + ", endpoint: \"" + sqs.endpoint() + "\", access_key_id: x, secret_access_key: x}\n");
        try (SqsClient client = sqs.client()) {
            return startOnce(client, inUrl, outUrl, home);
        }
    }

    /** Puts one message in the source, starts `caravan run`, returns the ms until it is at the destination. */
    private long startOnce(SqsClient client, String inUrl, String outUrl, Path home) throws Exception {
        client.sendMessage(b -> b.queueUrl(inUrl).messageBody(Payload.message(0)));
        List<String> command = command(home);
        Path log = home.resolve("caravan.log");
        progress.line("  startup: " + String.join(" ", command));
        long start = System.nanoTime();
        Process child = new ProcessBuilder(command).directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = start + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                List<Message> got = client.receiveMessage(b -> b.queueUrl(outUrl).waitTimeSeconds(1)).messages();
                if (!got.isEmpty()) {
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    got.forEach(m -> client.deleteMessage(b -> b.queueUrl(outUrl).receiptHandle(m.receiptHandle())));
                    Files.readAllLines(log).stream().filter(l -> l.contains("Caravan started in")).findFirst()
                            .ifPresent(l -> notes.add("start-up: the child reported \"" + l.strip() + "\" (after its JVM started)"));
                    return ms;
                }
                if (!child.isAlive()) {
                    throw new IllegalStateException("caravan run exited with " + child.exitValue() + ":\n"
                            + String.join("\n", Files.readAllLines(log)));
                }
                progress.tick("  startup: waiting for the message at the destination");
            }
            throw new IllegalStateException("no message at the destination within 120 s; log:\n"
                    + String.join("\n", Files.readAllLines(log)));
        } finally {
            child.destroy(); // SIGTERM: a first start writes its class-data-sharing archive as it exits
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }

    /**
     * {@code bin/caravan run}, what a user runs, when it is there; otherwise the main class on
     * this process's class path.
     */
    static List<String> command(Path home) {
        List<String> command = new ArrayList<>();
        Path script = Path.of("bin", "caravan").toAbsolutePath();
        if (Files.isExecutable(script) && Files.exists(Path.of("runtime", "target", "caravan.jar"))) {
            command.add(script.toString());
        } else {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            command.addAll(List.of(java, "-Dcaravan.home=" + home, "-cp", System.getProperty("java.class.path"),
                    "io.caravan.cli.Caravan"));
        }
        command.addAll(List.of("run", "--port", String.valueOf(CaravanPipe.freePort()),
                "-D", "caravan.management.port=" + CaravanPipe.freePort()));
        return command;
    }
}
