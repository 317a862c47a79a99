package io.caravan.binding.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Run by hand, not a test: RabbitMQ to RabbitMQ with at-least-once, raw amqp-client against a
 * Caravan workflow, on the same pre-loaded 1 KiB JSON messages. Needs the RabbitMQ of the ITs.
 * Arguments: [messages (50000)] [prefetch (250)] [rounds (2)].
 */
public final class PipeThroughput {

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int prefetch = args.length > 1 ? Integer.parseInt(args[1]) : 250;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        for (int round = 1; round <= rounds; round++) {
            double raw = raw(count, prefetch);
            double rawCpu = cpuPerMessage;
            double caravan = caravan(count, prefetch);
            System.out.printf("round %d, %d messages, prefetch %d: raw %.0f msg/s (%.0f us CPU/msg),"
                    + " caravan %.0f msg/s (%.0f us CPU/msg), ratio %.2f%n", round, count, prefetch, raw, rawCpu,
                    caravan, cpuPerMessage, caravan / raw);
        }
        System.exit(0);
    }

    /**
     * One consumer, one confirming publisher, each on its own connection. A delivery is published
     * on the dispatch thread (so in delivery order); a confirm of sequence number n acks (multiple)
     * the delivery published as n.
     */
    static double raw(int count, int prefetch) throws Exception {
        String source = TestBrokers.unique("tp-raw-in");
        String destination = TestBrokers.unique("tp-raw-out");
        load(source, destination, count);
        try (Connection in = BrokerClients.rabbit(); Connection out = BrokerClients.rabbit()) {
            Channel consume = in.createChannel();
            Channel publish = out.createChannel();
            publish.confirmSelect();
            ConcurrentSkipListMap<Long, Long> tags = new ConcurrentSkipListMap<>();
            publish.addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long seq, boolean multiple) throws java.io.IOException {
                    Long tag = tags.get(seq);
                    (multiple ? tags.headMap(seq, true) : tags.subMap(seq, true, seq, true)).clear();
                    if (tag != null) {
                        consume.basicAck(tag, true);
                    }
                }

                @Override
                public void handleNack(long seq, boolean multiple) {
                    throw new IllegalStateException("nack " + seq);
                }
            });
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            consume.basicQos(prefetch);
            long start = System.nanoTime();
            consume.basicConsume(source, false, new DefaultConsumer(consume) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties p, byte[] body)
                        throws java.io.IOException {
                    synchronized (publish) {
                        tags.put(publish.getNextPublishSeqNo(), envelope.getDeliveryTag());
                        publish.basicPublish("", destination, persistent, body);
                    }
                }
            });
            return awaitRate(destination, count, start);
        } finally {
            BrokerClients.rabbitDelete(source, destination);
        }
    }

    static double caravan(int count, int prefetch) throws Exception {
        String source = TestBrokers.unique("tp-caravan-in");
        String destination = TestBrokers.unique("tp-caravan-out");
        load(source, destination, count);
        Path home = Files.createTempDirectory("caravan-tp");
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"),
                "rabbit: {type: queue_rabbitmq, url: \"" + TestBrokers.RABBITMQ_URL + "\"}\n");
        Files.writeString(workflows.resolve("pipe.yaml"), """
                id: pipe
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, source: %s, max_messages: %d, credential_id: rabbit}}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: %s, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: in, to: out}]
                """.formatted(source, prefetch, destination));
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            // measured from the first message out, so Caravan's start-up is not counted
            awaitCount(destination, 1);
            long start = System.nanoTime();
            return awaitRate(destination, count - 1, start, 1);
        } finally {
            BrokerClients.rabbitDelete(source, destination);
        }
    }

    private static void load(String source, String destination, int count) throws Exception {
        BrokerClients.rabbitDeclare(source);
        BrokerClients.rabbitDeclare(destination);
        byte[] pad = "x".repeat(1000).getBytes(StandardCharsets.UTF_8);
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            ch.confirmSelect();
            AMQP.BasicProperties persistent = new AMQP.BasicProperties.Builder().deliveryMode(2).build();
            for (int i = 0; i < count; i++) {
                ch.basicPublish("", source, persistent, ("{\"id\": " + i + ", \"pad\": \"" + new String(pad,
                        StandardCharsets.UTF_8) + "\"}").getBytes(StandardCharsets.UTF_8));
                if (i % 5000 == 4999) {
                    ch.waitForConfirmsOrDie(60_000);
                }
            }
            ch.waitForConfirmsOrDie(60_000);
        }
    }

    private static double awaitRate(String queue, int count, long start) throws Exception {
        return awaitRate(queue, count, start, 0);
    }

    /** This JVM's CPU time per message over the last measurement (the machine is shared: rates vary). */
    private static double cpuPerMessage;

    private static double awaitRate(String queue, int count, long start, int already) throws Exception {
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        awaitCount(queue, count + already);
        double rate = count / ((System.nanoTime() - start) / 1e9);
        cpuPerMessage = (os.getProcessCpuTime() - cpu) / 1e3 / count;
        return rate;
    }

    private static void awaitCount(String queue, int count) throws Exception {
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            while (ch.messageCount(queue) < count) {
                Thread.sleep(20);
            }
        }
    }
}
