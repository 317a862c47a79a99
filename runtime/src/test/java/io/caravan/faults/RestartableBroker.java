package io.caravan.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A destination broker that the restart scenario stops mid-stream and starts again on the same
 * port and data: the system RabbitMQ ({@code rabbitmqctl stop_app}/{@code start_app}), and a
 * Redis, a Kafka and an ElasticMQ of the test's own, each a process of its own keeping its data
 * in a directory of the test's.
 */
abstract class RestartableBroker implements AutoCloseable {

    static RestartableBroker of(String type, Path dir) throws Exception {
        return switch (type) {
            case "rabbitmq" -> new SystemRabbitMq();
            case "redis" -> new OwnRedis(Ports.free(), dir);
            case "kafka" -> new Child("kafka", dir, Ports.free(), Ports.free());
            case "sqs" -> new Child("sqs", dir, Ports.free());
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** The test's own client to this broker. */
    abstract End end();

    /** The broker as Caravan reaches it (the same, but for ElasticMQ: through a proxy). */
    End forCaravan() {
        return end();
    }

    /** How the broker goes down: words for the log and the report. */
    abstract String how();

    abstract void stop() throws Exception;

    /** Starts it again and returns once it answers clients. */
    abstract void start() throws Exception;

    /** RabbitMQ on 127.0.0.1:5672; a queue declared durable keeps its persistent messages over a restart. */
    private static final class SystemRabbitMq extends RestartableBroker {

        private boolean stopped;

        SystemRabbitMq() {
            TestBrokers.requireRabbitMq();
            FaultSupport.requireRabbitmqctl();
        }

        @Override
        End end() {
            return End.of("rabbitmq");
        }

        @Override
        String how() {
            return "rabbitmqctl stop_app";
        }

        @Override
        void stop() throws Exception {
            stopped = true;
            FaultSupport.rabbitmqctl("stop_app");
        }

        @Override
        void start() throws Exception {
            FaultSupport.rabbitmqctl("start_app");
            stopped = false;
            FaultSupport.awaitRabbitUp();
        }

        @Override
        public void close() throws Exception {
            if (stopped) {
                start();
            }
        }
    }

    /** redis-server with an append-only file; SIGKILL loses nothing it answered (the AOF is written before the reply). */
    private static final class OwnRedis extends RestartableBroker {

        private final int port;
        private final Path dir;
        private final End.Redis end;
        private Process server;

        OwnRedis(int port, Path dir) throws Exception {
            TestBrokers.requireRedis();
            assertThat(FaultSupport.commandExists("redis-server")).as("redis-server (Debian package redis-server)").isTrue();
            this.port = port;
            this.dir = Files.createDirectories(dir);
            this.end = new End.Redis("redis://127.0.0.1:" + port);
            start();
        }

        @Override
        End end() {
            return end;
        }

        @Override
        String how() {
            return "SIGKILL";
        }

        @Override
        void stop() throws Exception {
            server.destroyForcibly();
            server.waitFor(30, TimeUnit.SECONDS);
        }

        @Override
        void start() throws Exception {
            server = FaultSupport.startRedis(port, dir);
        }

        @Override
        public void close() {
            end.close();
            server.destroyForcibly();
        }
    }

    /**
     * Kafka or ElasticMQ in a JVM of its own ({@code io.caravan.brokers.StandaloneBroker} on this
     * test's class path). Kafka is killed (SIGKILL: what it acknowledged is in the page cache).
     * ElasticMQ answers a send before its H2 store has the message (measured with boto3 and four
     * threads of SendMessageBatch: 21 of 5,580 acknowledged messages were gone after a SIGTERM
     * restart), so Caravan reaches it through a {@link TcpProxy}: the proxy first closes every
     * connection and refuses new ones, ElasticMQ gets 2 s to store what it took and is stopped
     * (SIGTERM) and started again, and the proxy lets connections through once it is back.
     * Caravan sees what it would of a restart: connections reset, then refused, then the queue
     * back with what it held.
     */
    private static final class Child extends RestartableBroker {

        private final String type;
        private final Path dir;
        private final List<String> ports;
        private final End end;
        private final TcpProxy proxy;
        private final End forCaravan;
        private Process process;

        Child(String type, Path dir, int... ports) throws Exception {
            this.type = type;
            this.dir = Files.createDirectories(dir);
            this.ports = java.util.Arrays.stream(ports).mapToObj(String::valueOf).toList();
            if (type.equals("kafka")) {
                this.end = new End.Kafka("127.0.0.1:" + ports[0]);
                this.proxy = null;
                this.forCaravan = end;
            } else {
                this.end = new End.Sqs("http://127.0.0.1:" + ports[0]);
                this.proxy = new TcpProxy("127.0.0.1", ports[0]);
                this.forCaravan = new End.Sqs("http://127.0.0.1:" + proxy.port());
            }
            start();
        }

        @Override
        End end() {
            return end;
        }

        @Override
        End forCaravan() {
            return forCaravan;
        }

        @Override
        String how() {
            return type.equals("kafka") ? "SIGKILL" : "connections reset and refused, then SIGTERM";
        }

        @Override
        void stop() throws Exception {
            if (type.equals("kafka")) {
                process.destroyForcibly();
            } else {
                proxy.refuse();
                Thread.sleep(2_000);
                process.destroy();
            }
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(type + " process ends").isTrue();
        }

        @Override
        void start() throws Exception {
            Path log = dir.resolve(type + "-" + System.nanoTime() + ".log");
            List<String> command = new java.util.ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                    "-cp", System.getProperty("java.class.path"), "io.caravan.brokers.StandaloneBroker", type));
            command.addAll(ports);
            command.add(dir.resolve("data").toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            process = p;
            FaultSupport.await(type + " process ready", Duration.ofSeconds(90),
                    () -> !p.isAlive() || Files.readString(log).contains("READY"), () -> "starting");
            assertThat(p.isAlive()).as(type + " process exited at start: " + Files.readString(log)).isTrue();
            if (proxy != null) {
                proxy.heal();
            }
        }

        @Override
        public void close() throws Exception {
            if (process != null) {
                process.destroyForcibly();
            }
            if (proxy != null) {
                proxy.close();
            }
        }
    }
}
