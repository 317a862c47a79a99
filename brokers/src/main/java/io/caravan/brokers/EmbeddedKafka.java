package io.caravan.brokers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Features;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A single-node Kafka (KRaft, broker and controller in one process) in a temporary log
 * directory, for {@code caravan dev} and the integration tests.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private final Path logDir;
    private final boolean ownsLogDir;
    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Map<String, String> listeners;

    private EmbeddedKafka(Path logDir, boolean ownsLogDir, KafkaRaftServer server, String bootstrapServers,
                          Map<String, String> listeners) {
        this.logDir = logDir;
        this.ownsLogDir = ownsLogDir;
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.listeners = listeners;
    }

    /** Starts a broker on {@code port} (0 picks a free one) and returns once it accepts clients. */
    public static EmbeddedKafka start(int port) {
        int brokerPort = port == 0 ? freePort() : port;
        return start(brokerPort, freePort(), null, new Properties(), Map.of());
    }

    /**
     * A broker that keeps its data in {@code dir} and can be started again on the same ports and
     * directory after it stopped or was killed (the directory is formatted only the first time and
     * never deleted). What {@link StandaloneBroker} runs for the fault tests' broker restarts.
     */
    public static EmbeddedKafka startKeeping(int port, int controllerPort, Path dir) {
        return start(port, controllerPort, dir, new Properties(), Map.of());
    }

    /**
     * A broker with, besides PLAINTEXT (for the test's own clients), a SASL_PLAINTEXT and a
     * SASL_SSL listener, each taking PLAIN (the users of {@code plainUsers}) and SCRAM-SHA-512
     * (users added with {@link #addScramUser}); SASL_SSL presents the certificate of
     * {@code certificatePem} with the PKCS#8 key of {@code keyPem}.
     */
    public static EmbeddedKafka startSecured(Path certificatePem, Path keyPem, Map<String, String> plainUsers) {
        int plain = freePort();
        int saslPlain = freePort();
        int saslSsl = freePort();
        Properties p = new Properties();
        StringBuilder jaas = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
        plainUsers.forEach((user, password) -> jaas.append(" user_").append(user).append("=\"").append(password).append('"'));
        jaas.append(';');
        p.put("sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-512");
        for (String listener : List.of("sasl_plaintext", "sasl_ssl")) {
            p.put("listener.name." + listener + ".plain.sasl.jaas.config", jaas.toString());
            p.put("listener.name." + listener + ".scram-sha-512.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
        try {
            // KIP-651: a PEM key store given inline
            p.put("listener.name.sasl_ssl.ssl.keystore.type", "PEM");
            p.put("listener.name.sasl_ssl.ssl.keystore.certificate.chain", Files.readString(certificatePem));
            p.put("listener.name.sasl_ssl.ssl.keystore.key", Files.readString(keyPem));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, Integer> extra = new java.util.LinkedHashMap<>();
        extra.put("SASL_PLAINTEXT", saslPlain);
        extra.put("SASL_SSL", saslSsl);
        return start(plain, freePort(), null, p, extra);
    }

    /**
     * {@code keptDir} null: a new temporary directory, deleted at {@link #close()}. KRaft's static
     * quorum names the controller by host:port, so {@code controllerPort} cannot be 0.
     */
    private static EmbeddedKafka start(int brokerPort, int controllerPort, Path keptDir, Properties extra,
                                       Map<String, Integer> extraListeners) {
        Path dir = keptDir;
        try {
            if (dir == null) {
                dir = Files.createTempDirectory("caravan-kafka-");
            } else {
                Files.createDirectories(dir);
            }
            Properties p = new Properties();
            p.put("process.roles", "broker,controller");
            p.put("node.id", "1");
            p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            StringBuilder advertised = new StringBuilder("PLAINTEXT://127.0.0.1:" + brokerPort);
            StringBuilder protocols = new StringBuilder("PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            extraListeners.forEach((name, listenerPort) -> {
                advertised.append(',').append(name).append("://127.0.0.1:").append(listenerPort);
                protocols.append(',').append(name).append(':').append(name);
            });
            p.put("listeners", advertised + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", advertised.toString());
            p.put("controller.listener.names", "CONTROLLER");
            p.put("listener.security.protocol.map", protocols.toString());
            p.put("inter.broker.listener.name", "PLAINTEXT");
            p.put("log.dirs", dir.toString());
            p.put("num.partitions", "1");
            p.put("auto.create.topics.enable", "true");
            // a consumer group must start reading at once, not after the default 3 s
            p.put("group.initial.rebalance.delay.ms", "0");
            p.put("offsets.topic.replication.factor", "1");
            p.put("offsets.topic.num.partitions", "1");
            p.put("transaction.state.log.replication.factor", "1");
            p.put("transaction.state.log.min.isr", "1");
            p.put("share.coordinator.state.topic.replication.factor", "1");
            p.put("share.coordinator.state.topic.min.isr", "1");
            p.putAll(extra);
            KafkaConfig config = new KafkaConfig(p, false);

            // The same formatting `kafka-storage.sh format` does, in-process; a kept directory only once.
            if (!Files.exists(dir.resolve("meta.properties"))) {
                new Formatter()
                        .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                        .setNodeId(1)
                        .setClusterId(Uuid.randomUuid().toString())
                        .setDirectories(List.of(dir.toString()))
                        .setMetadataLogDirectory(dir.toString())
                        .setControllerListenerName("CONTROLLER")
                        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                        .setSupportedFeatures(Features.PRODUCTION_FEATURES)
                        .run();
            }

            KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
            server.startup();
            Map<String, String> addresses = new java.util.LinkedHashMap<>();
            extraListeners.forEach((name, listenerPort) -> addresses.put(name, "127.0.0.1:" + listenerPort));
            EmbeddedKafka kafka = new EmbeddedKafka(dir, keptDir == null, server, "127.0.0.1:" + brokerPort,
                    Map.copyOf(addresses));
            kafka.awaitReady();
            return kafka;
        } catch (Exception e) {
            if (dir != null && keptDir == null) {
                deleteTree(dir);
            }
            throw new IllegalStateException("could not start the embedded Kafka: " + e.getMessage(), e);
        }
    }

    /** The PLAINTEXT listener's host:port. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** host:port of the listener for {@code protocol} (SASL_PLAINTEXT, SASL_SSL) of a secured broker. */
    public String listener(String protocol) {
        String address = listeners.get(protocol);
        if (address == null) {
            throw new IllegalArgumentException("no " + protocol + " listener; this broker has " + listeners.keySet());
        }
        return address;
    }

    /** Adds (or replaces) a SCRAM-SHA-512 user, through the PLAINTEXT listener. */
    public void addScramUser(String user, String password) {
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(
                            org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("could not add SCRAM user " + user + ": " + e.getMessage(), e);
        }
    }

    public void createTopic(String name, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get();
        } catch (Exception e) {
            throw new IllegalStateException("could not create topic " + name + ": " + e.getMessage(), e);
        }
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000));
    }

    /** The broker registers with its controller asynchronously; wait until it answers metadata calls. */
    private void awaitReady() throws Exception {
        try (Admin admin = admin()) {
            admin.describeCluster().nodes().get();
        }
    }

    @Override
    public void close() {
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            if (ownsLogDir) {
                deleteTree(logDir);
            }
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp dir left behind is harmless
        }
    }
}
