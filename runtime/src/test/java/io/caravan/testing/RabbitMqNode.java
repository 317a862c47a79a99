package io.caravan.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A RabbitMQ node of the test's own, beside the system's: the installed rabbitmq-server started
 * with its own node name, data directory and configuration, here a TLS listener with a generated
 * certificate and a plain one for the test's clients. It boots in about 7 s. Files live in a
 * directory every user may read, because the server runs as the rabbitmq user.
 */
public final class RabbitMqNode implements AutoCloseable {

    private final String node;
    private final Path dir;
    private final Map<String, String> env;
    public final int tlsPort;
    public final int tcpPort;
    public final Certificates certificates;

    private RabbitMqNode(String node, Path dir, Map<String, String> env, int tlsPort, int tcpPort,
                         Certificates certificates) {
        this.node = node;
        this.dir = dir;
        this.env = env;
        this.tlsPort = tlsPort;
        this.tcpPort = tcpPort;
        this.certificates = certificates;
    }

    /** Starts a node with an AMQPS listener (a fresh self-signed certificate) and a plain one; guest may log in remotely. */
    public static RabbitMqNode startWithTls() throws Exception {
        Path dir = Files.createTempDirectory("caravan-rabbit-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Certificates certs = Certificates.create(dir.resolve("tls"));
        int tls = Ports.free();
        int tcp = Ports.free();
        String node = "caravan-test-" + ProcessHandle.current().pid() + "-" + tls + "@localhost";
        Files.writeString(dir.resolve("rabbitmq.conf"), """
                listeners.tcp.default = 127.0.0.1:%d
                listeners.ssl.default = 127.0.0.1:%d
                ssl_options.certfile = %s
                ssl_options.keyfile = %s
                ssl_options.verify = verify_none
                ssl_options.fail_if_no_peer_cert = false
                loopback_users = none
                """.formatted(tcp, tls, certs.certificate(), certs.key()));
        Files.writeString(dir.resolve("enabled_plugins"), "[].\n");
        for (String sub : new String[] {"mnesia", "log"}) {
            Files.setPosixFilePermissions(Files.createDirectories(dir.resolve(sub)),
                    PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        for (String file : new String[] {"rabbitmq.conf", "enabled_plugins"}) {
            dir.resolve(file).toFile().setReadable(true, false);
        }
        Map<String, String> env = Map.of(
                "RABBITMQ_NODENAME", node,
                "RABBITMQ_CONFIG_FILE", dir.resolve("rabbitmq").toString(),
                "RABBITMQ_MNESIA_BASE", dir.resolve("mnesia").toString(),
                "RABBITMQ_LOG_BASE", dir.resolve("log").toString(),
                "RABBITMQ_ENABLED_PLUGINS_FILE", dir.resolve("enabled_plugins").toString(),
                "RABBITMQ_DIST_PORT", String.valueOf(Ports.free()));
        RabbitMqNode started = new RabbitMqNode(node, dir, env, tls, tcp, certs);
        started.run("rabbitmq-server", "-detached");
        try {
            Await.until("RabbitMQ node " + node + " listening on " + tls + " and " + tcp, java.time.Duration.ofSeconds(60),
                    () -> listening(tls) && listening(tcp));
        } catch (Throwable e) {
            started.close();
            throw e;
        }
        return started;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void run(String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log/" + command[0] + ".out").toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not finish");
        }
    }

    @Override
    public void close() throws Exception {
        try {
            run("rabbitmqctl", "-n", node, "stop");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
