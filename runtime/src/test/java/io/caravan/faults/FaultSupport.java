package io.caravan.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every fault scenario shares: the message count and the moment of the fault, Caravan as a
 * process or in this JVM, the brokers as their own clients see them, waiting, and the figures
 * each scenario prints and asserts ({@link Tally}).
 */
abstract class FaultSupport {

    static final int MESSAGES = 10_000;
    static final int FAULT_AT = 3_000;
    static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path home;

    /** A throwaway redis-server with an append-only file, answering PONG (not LOADING) before this returns. */
    static Process startRedis(int port, Path dir) throws Exception {
        Process p = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--dir", dir.toString(), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis-" + System.nanoTime() + ".log").toFile()).start();
        await("redis-server on " + port + " answers PONG", Duration.ofSeconds(30), () -> {
            io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create("redis://127.0.0.1:" + port);
            try (var connection = client.connect()) {
                return "PONG".equals(connection.sync().ping());
            } catch (Exception e) {
                return false;
            } finally {
                client.shutdown();
            }
        }, () -> p.isAlive() ? "starting" : "exited");
        return p;
    }

    static boolean commandExists(String command) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + command).start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    // ---- figures

    /**
     * Prints the figures, then asserts: nothing lost, nothing foreign, and the source's consumer
     * group committed everything it processed (uncommitted records are re-read on every restart).
     */
    static void report(Tally tally, long startedNanos, long sourceLag) {
        System.out.println(tally.summary() + " uncommitted_source_records=" + sourceLag
                + " seconds=" + (System.nanoTime() - startedNanos) / 1_000_000_000);
        assertThat(tally.unknownBodies()).as("bodies without an id this scenario sent").isEmpty();
        assertThat(tally.lostIds()).as("LOST: sent, found neither downstream nor in the DLQ").isEmpty();
        assertThat(tally.found()).isGreaterThanOrEqualTo(tally.sentCount());
        assertThat(sourceLag).as("source messages processed but never committed (Kafka) or acknowledged (Redis) by the group").isZero();
    }

    /** Until downstream plus DLQ hold at least every sent message and stop growing for 10 s. */
    static void awaitSettled(Callable<Long> copies) throws Exception {
        awaitSettled(MESSAGES, copies);
    }

    /** Until downstream plus DLQ hold at least {@code total} copies and stop growing for 10 s. */
    static void awaitSettled(long total, Callable<Long> copies) throws Exception {
        long[] last = {-1, System.nanoTime()};
        await("downstream + DLQ >= " + total + " and no change for 10 s", DRAIN_TIMEOUT, () -> {
            long now = copies.call();
            if (now != last[0]) {
                last[0] = now;
                last[1] = System.nanoTime();
            }
            return now >= total && System.nanoTime() - last[1] > Duration.ofSeconds(10).toNanos();
        }, () -> "downstream + DLQ " + last[0]);
    }

    // ---- Caravan

    /** One credential per broker, each with its {@link End#credentialId()}. */
    void writeCredentials(String group, End... brokers) throws Exception {
        StringBuilder lines = new StringBuilder();
        for (End b : brokers) {
            lines.append(b.credential(group)).append('\n');
        }
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), lines.toString());
    }

    void writeWorkflow(String id, String yaml) throws Exception {
        Files.writeString(Files.createDirectories(home.resolve("workflows")).resolve(id + ".yaml"), yaml);
    }

    Process startCaravan(String logName) throws Exception {
        Path log = home.resolve(logName);
        Process caravan = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcaravan.home=" + home, "-jar", Path.of("runtime/target/caravan.jar").toAbsolutePath().toString(),
                "run", "--port", String.valueOf(Ports.free()), "-D", "caravan.management.port=" + Ports.free())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        await("Caravan started (" + logName + ")", Duration.ofSeconds(60),
                () -> Files.exists(log) && Files.readString(log).contains("Caravan started") || !caravan.isAlive(),
                () -> "still starting");
        assertThat(caravan.isAlive()).as("Caravan exited at start: " + Files.readString(log)).isTrue();
        return caravan;
    }

    // ---- RabbitMQ

    static void requireRabbitmqctl() {
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

    static void rabbitmqctl(String command) throws Exception {
        Process p = new ProcessBuilder("rabbitmqctl", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("rabbitmqctl " + command + " within 60 s").isTrue();
        assertThat(p.exitValue()).as("rabbitmqctl " + command + ": " + out).isZero();
        log("rabbitmqctl %s: done", command);
    }

    static void awaitRabbitUp() throws Exception {
        await("RabbitMQ answers again", Duration.ofSeconds(60),
                FaultSupport::rabbitAnswers,
                () -> "down");
    }

    static boolean rabbitAnswers() {
        if (!Ports.answers(TestBrokers.RABBITMQ_HOST, TestBrokers.RABBITMQ_PORT)) {
            return false;
        }
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            return ch.isOpen();
        } catch (Exception e) {
            return false;
        }
    }

    // ---- waiting

    static void await(String what, Duration timeout, Callable<Boolean> condition, Callable<String> progress)
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

    static void log(String format, Object... args) {
        System.out.println("[faults] " + String.format(format, args));
    }
}
