package io.caravan.dev;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The brokers {@code caravan dev} runs on their usual local ports: Kafka on 9092, SQS
 * (ElasticMQ) on 9324, and RabbitMQ on 5672 — a RabbitMQ already listening there is used,
 * otherwise an embedded AMQP broker is started in its place.
 */
public final class DevBrokers implements AutoCloseable {

    public static final int KAFKA_PORT = 9092;
    public static final int SQS_PORT = 9324;
    public static final int AMQP_PORT = 5672;

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final List<String> report = new ArrayList<>();

    private DevBrokers() {
    }

    public static DevBrokers start() {
        DevBrokers brokers = new DevBrokers();
        try {
            long t = System.nanoTime();
            EmbeddedKafka kafka = EmbeddedKafka.start(KAFKA_PORT);
            brokers.started.push(kafka);
            brokers.report.add("kafka     " + kafka.bootstrapServers() + " (embedded, " + ms(t) + " ms)");

            t = System.nanoTime();
            EmbeddedSqs sqs = EmbeddedSqs.start(SQS_PORT);
            brokers.started.push(sqs);
            brokers.report.add("sqs       " + sqs.endpoint() + " (embedded ElasticMQ, " + ms(t) + " ms)");

            if (answers("127.0.0.1", AMQP_PORT)) {
                brokers.report.add("rabbitmq  amqp://127.0.0.1:" + AMQP_PORT + " (already running, used as it is)");
            } else {
                t = System.nanoTime();
                EmbeddedAmqp amqp = EmbeddedAmqp.start(AMQP_PORT);
                brokers.started.push(amqp);
                brokers.report.add("rabbitmq  amqp://127.0.0.1:" + amqp.port()
                        + " (embedded Qpid AMQP 0-9-1, guest/guest, " + ms(t) + " ms)");
            }
            return brokers;
        } catch (RuntimeException e) {
            brokers.close();
            throw e;
        }
    }

    /** One line per broker: what runs and where, for the CLI to print. */
    public List<String> report() {
        return List.copyOf(report);
    }

    /** Whether something accepts TCP connections on host:port within half a second. */
    public static boolean answers(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Stops what was started, newest first. */
    @Override
    public void close() {
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                // keep closing the others
            }
        }
    }
}
