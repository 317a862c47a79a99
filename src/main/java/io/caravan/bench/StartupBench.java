package io.caravan.bench;

import io.caravan.dev.EmbeddedSqs;
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
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String in = "bench-startup-in-" + suffix;
        String out = "bench-startup-out-" + suffix;
        sqs.createQueue(in);
        String outUrl = sqs.createQueue(out);
        Path home = Files.createTempDirectory("caravan-bench-startup-");
        Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("workflows/startup.yaml"), CaravanPipe.workflow("bench-startup", "sqs", in, out, "bench", 1));
        Files.writeString(home.resolve("config/credentials.yaml"), "bench: {type: queue_aws_sqs, region: " + EmbeddedSqs.REGION
                + ", endpoint: \"" + sqs.endpoint() + "\", access_key_id: x, secret_access_key: x}\n");
        try (SqsClient client = sqs.client()) {
            String inUrl = client.getQueueUrl(b -> b.queueName(in)).queueUrl();
            client.sendMessage(b -> b.queueUrl(inUrl).messageBody(Payload.message(0)));

            List<String> command = command(home);
            Path log = home.resolve("caravan.log");
            progress.line("  startup: " + String.join(" ", command.subList(command.size() - 6, command.size())));
            long start = System.nanoTime();
            Process child = new ProcessBuilder(command).directory(home.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long deadline = start + TimeUnit.SECONDS.toNanos(120);
                while (System.nanoTime() < deadline) {
                    List<Message> got = client.receiveMessage(b -> b.queueUrl(outUrl).waitTimeSeconds(1)).messages();
                    if (!got.isEmpty()) {
                        long ms = (System.nanoTime() - start) / 1_000_000;
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
                child.destroy();
                if (!child.waitFor(30, TimeUnit.SECONDS)) {
                    child.destroyForcibly();
                }
            }
        }
    }

    /**
     * {@code java -jar target/caravan.jar run}, as bin/caravan runs it, when the jar is there;
     * otherwise the same main class on this process's class path.
     */
    private static List<String> command(Path home) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Dcaravan.home=" + home));
        Path jar = Path.of("target", "caravan.jar").toAbsolutePath();
        if (Files.exists(jar)) {
            command.addAll(List.of("-jar", jar.toString()));
        } else {
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.caravan.cli.Caravan"));
        }
        command.addAll(List.of("run", "--port", String.valueOf(CaravanPipe.freePort()),
                "-D", "caravan.management.port=" + CaravanPipe.freePort()));
        return command;
    }
}
