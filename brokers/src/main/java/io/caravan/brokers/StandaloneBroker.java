package io.caravan.brokers;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.elasticmq.server.ElasticMQServer;
import org.elasticmq.server.config.ElasticMQServerConfig;

/**
 * A broker in a process of its own, keeping its data in a directory, so that a test can kill it
 * and start it again on the same port and data: what the fault suite's "destination broker
 * restarted mid-stream" rows need for Kafka and SQS (RabbitMQ and Redis are servers already).
 *
 * <pre>
 * java -cp ... io.caravan.brokers.StandaloneBroker kafka PORT CONTROLLER_PORT DIR
 * java -cp ... io.caravan.brokers.StandaloneBroker sqs PORT DIR
 * </pre>
 *
 * Prints {@code READY} on standard output once clients can connect; stops on SIGTERM.
 * <ul>
 * <li>Kafka: KRaft in combined mode, the log directory formatted the first time only. Kafka
 * writes to the page cache before it answers, so even SIGKILL loses no acknowledged record.</li>
 * <li>SQS: ElasticMQ with its queue definitions in {@code DIR/queues.conf} and its messages in an
 * H2 database ({@code messages-storage}, ElasticMQ's own persistence). H2 writes its store in the
 * background, so stop it with SIGTERM (its shutdown hook closes the database); SIGKILL may lose
 * the last second of acknowledged sends.</li>
 * </ul>
 */
public final class StandaloneBroker {

    private StandaloneBroker() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: StandaloneBroker kafka PORT CONTROLLER_PORT DIR | sqs PORT DIR");
            System.exit(2);
        }
        switch (args[0]) {
            case "kafka" -> {
                EmbeddedKafka kafka = EmbeddedKafka.startKeeping(Integer.parseInt(args[1]), Integer.parseInt(args[2]),
                        Path.of(args[3]));
                Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "kafka-stop"));
            }
            case "sqs" -> {
                scala.Function0<?> stop = new ElasticMQServer(new ElasticMQServerConfig(
                        elasticMqConfig(Integer.parseInt(args[1]), Path.of(args[2])))).start();
                Runtime.getRuntime().addShutdownHook(new Thread(stop::apply, "elasticmq-stop"));
            }
            default -> {
                System.err.println("unknown broker " + args[0] + ": kafka or sqs");
                System.exit(2);
            }
        }
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }

    /** ElasticMQ's settings (its reference.conf names them) for 127.0.0.1:{@code port} with data kept in {@code dir}. */
    static Config elasticMqConfig(int port, Path dir) throws Exception {
        Files.createDirectories(dir);
        String settings = """
                node-address { protocol = http, host = "127.0.0.1", port = %1$d, context-path = "" }
                generate-node-address = false
                rest-sqs { enabled = true, bind-port = %1$d, bind-hostname = "127.0.0.1", sqs-limits = strict }
                aws { region = "%2$s", accountId = "000000000000" }
                queues-storage { enabled = true, path = "%3$s" }
                messages-storage { enabled = true, uri = "jdbc:h2:%4$s", prune-data-on-init = false }
                """.formatted(port, EmbeddedSqs.REGION, dir.resolve("queues.conf"), dir.resolve("messages"));
        return ConfigFactory.parseString(settings).withFallback(ConfigFactory.load()).resolve();
    }
}
