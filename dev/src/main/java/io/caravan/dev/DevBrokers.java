package io.caravan.dev;

import io.caravan.brokers.EmbeddedAmqp;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.brokers.Sockets;
import io.caravan.cli.DevEnvironment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The brokers {@code caravan dev} runs on their usual local ports: Kafka on 9092, SQS
 * (ElasticMQ) on 9324, and RabbitMQ on 5672 (a RabbitMQ already listening there is used,
 * otherwise an embedded AMQP broker is started in its place). Any other broker, such as Redis,
 * is used where its credential points; `caravan dev` says so when it does not answer.
 */
public final class DevBrokers implements DevEnvironment {

    public static final int KAFKA_PORT = 9092;
    public static final int SQS_PORT = 9324;
    public static final int AMQP_PORT = 5672;

    private final Deque<AutoCloseable> started = new ArrayDeque<>();

    /** Found by the runtime's `dev` command through ServiceLoader. */
    public DevBrokers() {
    }

    @Override
    public List<String> start() {
        List<String> report = new ArrayList<>();
        try {
            long t = System.nanoTime();
            EmbeddedKafka kafka = EmbeddedKafka.start(KAFKA_PORT);
            started.push(kafka);
            report.add("kafka     " + kafka.bootstrapServers() + " (embedded, " + ms(t) + " ms)");

            t = System.nanoTime();
            EmbeddedSqs sqs = EmbeddedSqs.start(SQS_PORT);
            started.push(sqs);
            report.add("sqs       " + sqs.endpoint() + " (embedded ElasticMQ, " + ms(t) + " ms)");

            if (Sockets.answers("127.0.0.1", AMQP_PORT)) {
                report.add("rabbitmq  amqp://127.0.0.1:" + AMQP_PORT + " (already running, used as it is)");
            } else {
                t = System.nanoTime();
                EmbeddedAmqp amqp = EmbeddedAmqp.start(AMQP_PORT);
                started.push(amqp);
                report.add("rabbitmq  amqp://127.0.0.1:" + amqp.port() + " (embedded Qpid AMQP 0-9-1, guest/guest, "
                        + ms(t) + " ms)");
            }
            return report;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

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
