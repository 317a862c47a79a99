package io.caravan.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fault matrix of issue 12, each scenario with 10,000 messages whose ids are counted
 * downstream, in the dead letter and (where the test deleted them) destroyed with a queue;
 * every scenario prints {@code FAULTS scenario=...} and asserts lost=0:
 * <ul>
 * <li>{@code sigkill-<broker>}: Caravan (the packaged jar, a process of its own) killed with
 * SIGKILL mid-stream and started again, for each broker as source (and destination);</li>
 * <li>{@code poison-<broker>}: every 500th message is not JSON and fails its run; no dead letter
 * is configured, so it goes to the broker's default one and the stream goes on;</li>
 * <li>{@code deleted-<broker>}: Kafka to a RabbitMQ queue, SQS queue or Redis stream that the
 * test deletes after 3,000 messages while the workflow runs: later sends fail with
 * QUEUE_NOT_FOUND and go to the source's default dead letter (Redis makes the stream again on
 * the next XADD);</li>
 * <li>{@code restart-<broker>}: Kafka to a destination broker that is stopped mid-stream for 5 s
 * and started again on the same port and data ({@link RestartableBroker}): sends fail with
 * CONNECTION_FAILED and are retried, or wait in the client, none is lost. Redis is source and
 * destination on the restarted server;</li>
 * <li>{@code network-cut-<broker>}: Kafka to RabbitMQ, SQS or Redis through a TCP proxy of the
 * test's that stops forwarding for 10 s: calls hang, time out or are retried, none is lost.</li>
 * </ul>
 */
class FaultMatrixIT extends FaultSupport {

    private static final int POISON_EVERY = 500;

    @ParameterizedTest(name = "sigkill-{0}")
    @ValueSource(strings = {"kafka", "sqs", "rabbitmq", "redis"})
    void caravanKilledMidStreamAndStartedAgainLosesNothing(String type) throws Exception {
        assertThat(java.nio.file.Path.of("runtime/target/caravan.jar")).as("the packaged jar (failsafe runs after package)")
                .exists();
        End broker = requireBroker(type);
        String run = TestBrokers.unique("kill-" + type);
        String workflow = "kill-" + type;
        Pipe pipe = new Pipe(broker, run + "-in", broker, run + "-out");
        pipe.create();
        String dlq = broker.defaultDeadLetter(pipe.source);
        broker.create(dlq);
        writeCredentials(run, broker);
        writeWorkflow(workflow, pipe.relay(workflow, "\"{{input}}\""));
        Tally tally = new Tally("sigkill-" + type);
        long started = System.nanoTime();
        send(broker, pipe.source, tally, run, false);

        Process first = startCaravan("caravan-" + type + "-1.log");
        long atKill;
        try {
            await("~" + FAULT_AT + " delivered", Duration.ofMinutes(2), () -> broker.count(pipe.destination) >= FAULT_AT,
                    () -> "delivered " + broker.count(pipe.destination));
            first.destroyForcibly(); // SIGKILL: no shutdown hook, nothing acknowledged or committed at the end
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("killed").isTrue();
            atKill = broker.count(pipe.destination);
        } finally {
            first.destroyForcibly();
        }
        log("sigkill-%s: killed with %d delivered", type, atKill);
        assertThat(atKill).as("killed mid-stream, not after the end").isLessThan(MESSAGES);

        Process second = startCaravan("caravan-" + type + "-2.log");
        long left;
        try {
            awaitSettled(() -> broker.count(pipe.destination) + Math.max(0, broker.count(dlq)));
            left = broker.unacknowledged(pipe.source, run, workflow);
            second.destroy();
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("second process stops on SIGTERM").isTrue();
        } finally {
            second.destroyForcibly();
        }
        broker.take(pipe.destination).forEach(tally::delivered);
        broker.take(dlq).forEach(tally::deadLettered);
        report(tally, started, left);
    }

    @ParameterizedTest(name = "poison-{0}")
    @ValueSource(strings = {"kafka", "sqs", "rabbitmq", "redis"})
    void poisonGoesToTheDefaultDeadLetterAndTheRestFlows(String type) throws Exception {
        End broker = requireBroker(type);
        String run = TestBrokers.unique("poison-" + type);
        String workflow = "poison-" + type;
        Pipe pipe = new Pipe(broker, run + "-in", broker, run + "-out");
        pipe.create();
        String dlq = broker.defaultDeadLetter(pipe.source);
        broker.create(dlq); // an operator's: SQS does not make queues on a send
        writeCredentials(run, broker);
        // no dead_letter anywhere: the broker's default one applies
        writeWorkflow(workflow, pipe.relay(workflow, "'{\"id\": \"{{input.id}}\", \"n\": {{input.n}}}'"));
        Tally tally = new Tally("poison-" + type);
        long started = System.nanoTime();
        send(broker, pipe.source, tally, run, true);
        long left;
        try (CaravanRuntime runtime = startInProcess()) {
            awaitSettled(() -> broker.count(pipe.destination) + Math.max(0, broker.count(dlq)));
            left = broker.unacknowledged(pipe.source, run, workflow);
        }
        List<String> letters = broker.take(dlq);
        broker.take(pipe.destination).forEach(tally::delivered);
        letters.forEach(tally::deadLettered);
        report(tally, started, left);
        assertThat(letters).as("the poison messages, each once, in " + dlq).hasSize(MESSAGES / POISON_EVERY)
                .allMatch(b -> b.startsWith("not json"));
    }

    /**
     * Point 1 of issue 12 under load: {@link #FAULT_AT} messages flow to the destination, the test
     * takes them and deletes the destination while the workflow runs, then the other messages are
     * sent. The delete falls between two bursts, not under sends in flight: RabbitMQ confirmed
     * sends that raced a queue deletion and were neither consumed nor counted in the delete's
     * message count (168 of about 5,800 in one run), which looks like the broker confirming a
     * publish to a queue that went away normally; such a message dies with the queue, as the ones
     * in it do, and no client can tell.
     */
    @ParameterizedTest(name = "deleted-{0}")
    @ValueSource(strings = {"rabbitmq", "sqs", "redis"})
    void aDestinationDeletedMidStreamLosesNothing(String type) throws Exception {
        End kafka = End.of("kafka");
        End broker = requireBroker(type);
        String run = TestBrokers.unique("deleted-" + type);
        String workflow = "deleted-" + type;
        Pipe pipe = new Pipe(kafka, run + "-in", broker, run + "-out");
        pipe.create();
        String dlq = kafka.defaultDeadLetter(pipe.source);
        kafka.create(dlq);
        writeCredentials(run, kafka, broker);
        writeWorkflow(workflow, pipe.relay(workflow, "\"{{input}}\""));
        Tally tally = new Tally("deleted-" + type);
        long started = System.nanoTime();
        List<String> bodies = new ArrayList<>(MESSAGES);
        for (int n = 1; n <= MESSAGES; n++) {
            bodies.add(tally.sent(run, n));
        }
        List<String> delivered = new ArrayList<>();
        long left;
        try (CaravanRuntime runtime = startInProcess()) {
            kafka.send(pipe.source, bodies.subList(0, FAULT_AT));
            await(FAULT_AT + " delivered", Duration.ofMinutes(2), () -> broker.count(pipe.destination) >= FAULT_AT,
                    () -> "delivered " + broker.count(pipe.destination));
            delivered.addAll(type.equals("redis") ? ((End.Redis) broker).takeAndDelete(pipe.destination)
                    : broker.take(pipe.destination));
            if (!type.equals("redis")) {
                broker.delete(pipe.destination);
            }
            log("deleted-%s: %d taken, destination deleted, sending %d more", type, delivered.size(), MESSAGES - FAULT_AT);
            kafka.send(pipe.source, bodies.subList(FAULT_AT, MESSAGES));
            awaitSettled(() -> delivered.size() + Math.max(0, broker.count(pipe.destination)) + kafka.count(dlq));
            left = kafka.unacknowledged(pipe.source, run, workflow);
        }
        delivered.forEach(tally::delivered);
        if (broker.count(pipe.destination) > 0) {
            broker.take(pipe.destination).forEach(tally::delivered); // Redis: the stream XADD made again
        }
        List<String> letters = kafka.take(dlq);
        letters.forEach(tally::deadLettered);
        report(tally, started, left);
        if (!type.equals("redis")) {
            assertThat(letters).as("every send after the delete failed (QUEUE_NOT_FOUND) and was dead-lettered")
                    .hasSizeGreaterThanOrEqualTo(MESSAGES - FAULT_AT);
        }
    }

    @ParameterizedTest(name = "restart-{0}")
    @ValueSource(strings = {"kafka", "sqs", "rabbitmq", "redis"})
    void aDestinationBrokerRestartedMidStreamLosesNothing(String type) throws Exception {
        End kafka = End.of("kafka");
        String run = TestBrokers.unique("restart-" + type);
        String workflow = "restart-" + type;
        try (RestartableBroker server = RestartableBroker.of(type, home.resolve("broker"))) {
            End broker = server.end();
            End caravanSide = server.forCaravan().named(type + "-restarted");
            // Redis restarts under its source too (one server holds both streams and the group)
            End from = type.equals("redis") ? caravanSide : kafka;
            Pipe pipe = new Pipe(from, run + "-in", caravanSide, run + "-out");
            pipe.create();
            String dlq = from.defaultDeadLetter(pipe.source);
            from.create(dlq);
            writeCredentials(run, kafka, caravanSide);
            writeWorkflow(workflow, pipe.relay(workflow, "\"{{input}}\""));
            Tally tally = new Tally("restart-" + type);
            long started = System.nanoTime();
            send(from, pipe.source, tally, run, false);
            long left;
            try (CaravanRuntime runtime = startInProcess()) {
                await("~" + FAULT_AT + " delivered", Duration.ofMinutes(2), () -> broker.count(pipe.destination) >= FAULT_AT,
                        () -> "delivered " + broker.count(pipe.destination));
                log("restart-%s: %d delivered, stopping the broker (%s)", type, broker.count(pipe.destination), server.how());
                server.stop();
                Thread.sleep(5_000);
                server.start();
                log("restart-%s: broker back with %d in the destination", type, broker.count(pipe.destination));
                awaitSettled(() -> broker.count(pipe.destination) + Math.max(0, from.count(dlq)));
                left = from.unacknowledged(pipe.source, run, workflow);
            }
            broker.take(pipe.destination).forEach(tally::delivered);
            from.take(dlq).forEach(tally::deadLettered);
            report(tally, started, left);
        }
    }

    @ParameterizedTest(name = "network-cut-{0}")
    @ValueSource(strings = {"rabbitmq", "sqs", "redis"})
    void aNetworkCutOfTenSecondsToTheDestinationLosesNothing(String type) throws Exception {
        End kafka = End.of("kafka");
        End direct = requireBroker(type);
        String run = TestBrokers.unique("cut-" + type);
        String workflow = "cut-" + type;
        try (TcpProxy proxy = new TcpProxy("127.0.0.1", directPort(type))) {
            End proxied = throughProxy(type, proxy.port());
            Pipe pipe = new Pipe(kafka, run + "-in", direct, run + "-out");
            pipe.create();
            String dlq = kafka.defaultDeadLetter(pipe.source);
            kafka.create(dlq);
            writeCredentials(run, kafka, proxied);
            writeWorkflow(workflow, pipe.relay(workflow, "\"{{input}}\""));
            Tally tally = new Tally("network-cut-" + type);
            long started = System.nanoTime();
            send(kafka, pipe.source, tally, run, false);
            long left;
            try (CaravanRuntime runtime = startInProcess()) {
                await("~" + FAULT_AT + " delivered", Duration.ofMinutes(2), () -> direct.count(pipe.destination) >= FAULT_AT,
                        () -> "delivered " + direct.count(pipe.destination));
                proxy.cut();
                log("network-cut-%s: cut with %d delivered", type, direct.count(pipe.destination));
                Thread.sleep(10_000);
                proxy.heal();
                log("network-cut-%s: healed with %d delivered", type, direct.count(pipe.destination));
                awaitSettled(() -> direct.count(pipe.destination) + kafka.count(dlq));
                left = kafka.unacknowledged(pipe.source, run, workflow);
            }
            direct.take(pipe.destination).forEach(tally::delivered);
            kafka.take(dlq).forEach(tally::deadLettered);
            report(tally, started, left);
        }
    }

    // ---- helpers
    /** A source and a destination on two brokers (or one). */
    private record Pipe(End from, String source, End to, String destination) {

        void create() throws Exception {
            from.create(source);
            to.create(destination);
        }

        /** The relay: receive, then send {@code message}; CONNECTION_FAILED retried for about a minute. */
        String relay(String id, String message) {
            return """
                    id: %1$s
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: %2$s, source: %3$s, %4$scredential_id: %8$s}}
                      - id: out
                        type: send_message
                        config: {queue_type: %5$s, destination: %6$s, message: %7$s, credential_id: %9$s}
                        error_handling:
                          retry: {max_attempts: 30, initial_delay: 200ms, multiplier: 2, max_delay: 2s, retry_on: [CONNECTION_FAILED, TIMEOUT]}
                    edges: [{from: in, to: out}]
                    """.formatted(id, from.type(), source, from.receiveExtras(), to.type(), destination, message,
                    from.credentialId(), to.credentialId());
        }
    }

    private static End requireBroker(String type) {
        switch (type) {
            case "rabbitmq" -> TestBrokers.requireRabbitMq();
            case "redis" -> TestBrokers.requireRedis();
            default -> {
                // in this JVM
            }
        }
        return End.of(type);
    }

    private static int directPort(String type) {
        return switch (type) {
            case "rabbitmq" -> TestBrokers.RABBITMQ_PORT;
            case "redis" -> TestBrokers.REDIS_PORT;
            case "sqs" -> java.net.URI.create(TestBrokers.sqs().endpoint()).getPort();
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** The same broker as Caravan sees it through the proxy (the test's own client goes direct). */
    private static End throughProxy(String type, int port) {
        return switch (type) {
            case "rabbitmq" -> new End.Rabbit("127.0.0.1", port);
            case "redis" -> new End.Redis("redis://127.0.0.1:" + port);
            case "sqs" -> new End.Sqs("http://127.0.0.1:" + port);
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** 10,000 messages into {@code address}; with {@code poison}, every 500th is not JSON. */
    private static void send(End broker, String address, Tally tally, String run, boolean poison) throws Exception {
        List<String> bodies = new ArrayList<>(MESSAGES);
        for (int n = 1; n <= MESSAGES; n++) {
            bodies.add(poison && n % POISON_EVERY == 0 ? tally.poison(run, n) : tally.sent(run, n));
        }
        broker.send(address, bodies);
        log("sent %d to %s %s", MESSAGES, broker.type(), address);
    }

    private CaravanRuntime startInProcess() throws Exception {
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }
}
