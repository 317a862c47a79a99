package io.caravan.brokers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.qpid.server.SystemLauncher;

/**
 * An in-process AMQP 0-9-1 broker (Apache Qpid Broker-J, in memory, user guest/guest) for
 * {@code caravan dev} when no RabbitMQ runs locally. It is not RabbitMQ: Qpid rejects queue
 * arguments it does not know, such as {@code x-dead-letter-exchange}, so workflows that use the
 * broker's own dead-letter exchange need a real RabbitMQ.
 */
public final class EmbeddedAmqp implements AutoCloseable {

    private final SystemLauncher launcher;
    private final Path workDir;
    private final int port;

    private EmbeddedAmqp(SystemLauncher launcher, Path workDir, int port) {
        this.launcher = launcher;
        this.workDir = workDir;
        this.port = port;
    }

    /** Starts on 127.0.0.1:{@code port}; 0 picks a free port. */
    public static EmbeddedAmqp start(int port) {
        int bound = port == 0 ? EmbeddedKafka.freePort() : port;
        Path dir = null;
        try {
            dir = Files.createTempDirectory("caravan-qpid-");
            Map<String, Object> context = new HashMap<>();
            context.put("qpid.amqp_port", String.valueOf(bound));
            context.put("qpid.work_dir", dir.toString());
            context.put("qpid.home_dir", dir.toString());
            Map<String, Object> attributes = new HashMap<>();
            attributes.put("type", "Memory");
            attributes.put("initialConfigurationLocation",
                    EmbeddedAmqp.class.getResource("qpid-config.json").toExternalForm());
            attributes.put("startupLoggedToSystemOut", false);
            attributes.put("context", context);
            SystemLauncher launcher = new SystemLauncher();
            launcher.startup(attributes);
            return new EmbeddedAmqp(launcher, dir, bound);
        } catch (Exception e) {
            if (dir != null) {
                EmbeddedKafka.deleteTree(dir);
            }
            throw new IllegalStateException("could not start the embedded AMQP broker: " + e.getMessage(), e);
        }
    }

    public int port() {
        return port;
    }

    /** The URL a {@code queue_rabbitmq} credential uses for this broker. */
    public String url() {
        return "amqp://guest:guest@127.0.0.1:" + port; // no path: the default vhost "/"
    }

    @Override
    public void close() {
        try {
            launcher.shutdown();
        } finally {
            EmbeddedKafka.deleteTree(workDir);
        }
    }
}
