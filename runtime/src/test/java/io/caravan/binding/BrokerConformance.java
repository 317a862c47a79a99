package io.caravan.binding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.credential.Credential;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.LogCapture;
import io.caravan.testing.Ports;
import io.caravan.testing.SecretScan;
import io.caravan.testing.TestBrokers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every broker binding must do, run against each broker for real: each broker's
 * {@code <Broker>BindingIT} extends this and says only how to reach its test broker and how its
 * own client publishes and reads. Send and receive with attributes, a bounded pull, redelivery of
 * a failed run, a dead letter with every {@code caravan-*} attribute, hostile inbound headers
 * ignored, a stop with runs in flight that loses nothing, a broker that is down at start, and
 * every {@code ordering} the broker declares in its capabilities kept as promised.
 */
public abstract class BrokerConformance {

    /** A message as the broker's own client saw it. */
    public record RawMessage(String body, Map<String, String> attributes) {
    }

    /** Control names any broker may carry in from another program; none may steer Caravan. */
    private static final Map<String, String> HOSTILE = Map.of(
            "kafka.OVERRIDE_TOPIC", "elsewhere",
            "CamelAwsSqsOperation", "deleteMessage",
            "CamelHttpUri", "http://evil.example",
            "CamelCaravanMessageId", "forged");

    @TempDir
    protected Path home;
    protected DefaultCamelContext context;
    private final List<String> addresses = new ArrayList<>();

    /** The binding under test. */
    protected abstract Binding binding();

    /** A credential for the test broker. */
    protected abstract Credential credential();

    /**
     * A credential of the same type for a broker that listens on {@code port} of 127.0.0.1 (nothing
     * does), with {@code secret} as its password or key.
     */
    protected abstract Credential unreachable(int port, String secret);

    /**
     * A credential of this broker's type for the test broker in which {@code field}, one of the
     * type's secret fields, holds {@code secret} (a password in a URL, a key, a SASL password).
     * The broker may well refuse it: what matters is that Caravan uses it and never shows it.
     */
    protected abstract Credential credentialWithSecret(String field, String secret);

    /** A fresh queue, topic or stream on the test broker that exists and is empty. */
    protected abstract String newAddress() throws Exception;

    /** Puts a message at {@code address} with the broker's own client, with these attributes as they are. */
    protected abstract void publish(String address, String body, Map<String, String> attributes) throws Exception;

    /** Takes every message at {@code address} with the broker's own client, waiting up to {@code within} for {@code count}. */
    protected abstract List<RawMessage> take(String address, int count, Duration within) throws Exception;

    /**
     * Puts a message with a key, as this broker carries one for {@code ordering: key} (a Kafka
     * record key, a Redis key field, an SQS FIFO message group), at an address from
     * {@link #keyedAddress}. Only called for brokers whose capabilities offer key or partition order.
     */
    protected void publishKeyed(String address, String key, String body) throws Exception {
        throw new UnsupportedOperationException(binding().queueType() + " declares a keyed ordering: its test says how to"
                + " publish with a key");
    }

    /** A fresh address whose messages can carry keys (SQS: a FIFO queue); by default {@link #address()}. */
    protected String keyedAddress() throws Exception {
        return address();
    }

    /** The unit of {@code ordering: partition} a received message belongs to (a Kafka partition); one by default. */
    protected String partitionOf(ReceivedMessage message) {
        return "all";
    }

    /** Removes a queue, topic or stream the test made; best effort. */
    protected void remove(String address) throws Exception {
    }

    /** Node config a channel of this broker needs in tests (e.g. a short wait). */
    protected Map<String, Object> nodeConfig() {
        return Map.of();
    }

    /** How long a failed run's message takes at most to come back (visibility timeout, reclaim time). */
    protected Duration redeliveryWithin() {
        return Duration.ofSeconds(20);
    }

    @BeforeEach
    void startContext() {
        context = new DefaultCamelContext();
        binding().provisioner().bind(context, credential());
        context.start();
    }

    @AfterEach
    void stopContext() throws Exception {
        context.stop();
        for (String address : addresses) {
            remove(address);
        }
    }

    protected String address() throws Exception {
        String address = newAddress();
        addresses.add(address);
        return address;
    }

    protected Channel channel(String address) {
        return TestBrokers.channel(credential().id(), address, nodeConfig());
    }

    /** Sends through the binding's producer endpoint; returns the id the producer reports. */
    protected String send(String address, String body, Map<String, String> attributes) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        attributes.forEach((k, v) -> exchange.getMessage().setHeader(k, v));
        Exchange result = context.createProducerTemplate().send(binding().producerUri(channel(address)), exchange);
        assertThat(result.getException()).as("send to " + address).isNull();
        return result.getMessage().getHeader(Messages.MESSAGE_ID, String.class);
    }

    /** A route from the binding's consumer endpoint that records each message as its trigger sees it. */
    protected List<ReceivedMessage> consume(String address, java.util.function.Consumer<Exchange> each) throws Exception {
        List<ReceivedMessage> received = new CopyOnWriteArrayList<>();
        String uri = binding().consumerUri(channel(address), false);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from(uri).routeId("consume-" + address.hashCode()).process(e -> {
                    received.add(Messages.received(e));
                    assertThat(e.getMessage().getHeaders()).as("a consumer sets no header").isEmpty();
                    each.accept(e);
                });
            }
        });
        return received;
    }

    @Test
    void sendsAndReceivesBodyAttributesAndIds() throws Exception {
        String address = address();
        List<ReceivedMessage> received = consume(address, e -> { });
        String id = send(address, "{\"n\": 1, \"text\": \"h\u00e9llo \u2603\"}", Map.of("priority", "high", "trace", "t-1"));
        assertThat(id).as("the broker's id of the sent message").isNotBlank();

        Await.until("the message arrives", Duration.ofSeconds(30), () -> !received.isEmpty());
        ReceivedMessage m = received.get(0);
        assertThat(m.body()).isEqualTo("{\"n\": 1, \"text\": \"h\u00e9llo \u2603\"}");
        assertThat(m.attributes()).isEqualTo(Map.of("priority", "high", "trace", "t-1"));
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.receipt()).isNotBlank();
        assertThat(Instant.parse(m.timestamp())).isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(1));
    }

    @Test
    void pullHonoursMaxMessagesWaitTimeAndDeleteAfter() throws Exception {
        String address = address();
        for (int i = 0; i < 3; i++) {
            publish(address, "m" + i, Map.of("i", String.valueOf(i)));
        }
        Provisioner p = binding().provisioner();
        List<ReceivedMessage> peek = p.pull(context, channel(address), 2, Duration.ofSeconds(5), false);
        assertThat(peek).hasSize(2);
        assertThat(peek.get(0).attributes()).containsKey("i");

        // not deleted: the next pull takes them again, with the third
        List<ReceivedMessage> taken = new ArrayList<>();
        long deadline = System.nanoTime() + redeliveryWithin().toNanos();
        while (taken.size() < 3 && System.nanoTime() < deadline) {
            taken.addAll(p.pull(context, channel(address), 10, Duration.ofSeconds(2), true));
        }
        assertThat(taken).extracting(ReceivedMessage::body).containsExactlyInAnyOrder("m0", "m1", "m2");

        long t = System.nanoTime();
        assertThat(p.pull(context, channel(address), 10, Duration.ofSeconds(1), true)).as("deleted").isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - t)).as("an empty pull ends with its wait")
                .isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aFailedRunIsDeliveredAgain() throws Exception {
        String address = address();
        Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        List<ReceivedMessage> received = consume(address, e -> {
            if (failedOnce.add(Messages.received(e).body())) {
                throw new IllegalStateException("first delivery fails");
            }
        });
        publish(address, "again", Map.of());
        Await.until("the failed message is delivered again", redeliveryWithin().plusSeconds(10),
                () -> received.size() >= 2);
        assertThat(received).extracting(ReceivedMessage::body).containsOnly("again");
    }

    @Test
    void aDeadLetterIsTheOriginalWithEveryCaravanAttribute() throws Exception {
        String source = address();
        String dlq = address();
        try (CaravanRuntime runtime = poisoned(source, dlq)) {
            publish(source, "not what out expects", Map.of("tenant", "t-9"));
            List<RawMessage> letters = take(dlq, 1, Duration.ofSeconds(30));
            assertThat(letters).hasSize(1);
            RawMessage letter = letters.get(0);
            assertThat(letter.body()).isEqualTo("not what out expects");
            assertThat(letter.attributes()).containsEntry("tenant", "t-9")
                    .containsEntry("caravan-error-code", "TEMPLATE_VALUE_MISSING")
                    .containsEntry("caravan-failed-node", "out")
                    .containsEntry("caravan-workflow", "poisoned")
                    .containsEntry("caravan-attempts", "1")
                    .containsKeys("caravan-error-message", "caravan-original-source", "caravan-failed-at");
            assertThat(letter.attributes().get("caravan-original-source")).contains(source);
            Instant.parse(letter.attributes().get("caravan-failed-at"));
            // the source message was acknowledged once its dead letter was confirmed (read as the
            // workflow's own node reads: a broker with groups per workflow keeps one per workflow)
            Thread.sleep(redeliveryWithin().toMillis() / 4);
            Channel asTheWorkflow = new Channel("poisoned", "in", credential().id(), source, TestBrokers.config(nodeConfig()));
            assertThat(binding().provisioner().pull(context, asTheWorkflow, 10, Duration.ofSeconds(1), true))
                    .as("nothing left at the source").isEmpty();
        }
    }

    @Test
    void hostileInboundHeadersAreNeitherAttributesNorInstructions() throws Exception {
        String source = address();
        String destination = address();
        Map<String, String> headers = new LinkedHashMap<>(HOSTILE);
        headers.put("ok", "yes");
        CaravanRuntime runtime = runtime("""
                id: relay
                nodes:
                  - {id: in, type: receive_message, config: %s}
                  - {id: out, type: send_message, config: {queue_type: %s, destination: %s, message: "{{trigger.body}} {{trigger.attributes.ok}}", credential_id: %s}}
                edges: [{from: in, to: out}]
                """.formatted(receiveConfig(source), binding().queueType(), destination, credential().id()));
        try (runtime) {
            publish(source, "payload", headers);
            List<RawMessage> out = take(destination, 1, Duration.ofSeconds(30));
            assertThat(out).extracting(RawMessage::body).containsExactly("payload yes");
            assertThat(out.get(0).attributes()).as("nothing from the inbound message leaks into the send")
                    .doesNotContainKeys(HOSTILE.keySet().toArray(String[]::new));
        }
        List<ReceivedMessage> pulled;
        publish(source, "pulled", headers);
        pulled = binding().provisioner().pull(context, channel(source), 1, Duration.ofSeconds(5), true);
        assertThat(pulled).hasSize(1);
        assertThat(pulled.get(0).attributes()).isEqualTo(Map.of("ok", "yes"));
    }

    @Test
    void aStopWithRunsInFlightLosesNothing() throws Exception {
        String address = address();
        List<String> ids = IntStream.range(0, 30).mapToObj(i -> "m" + i).toList();
        for (String id : ids) {
            publish(address, id, Map.of());
        }
        Set<String> started = ConcurrentHashMap.newKeySet();
        Set<String> finished = ConcurrentHashMap.newKeySet();
        String uri = binding().consumerUri(channel(address), false);
        // runs that take longer than the stop waits for: some are cut off in flight
        context.getShutdownStrategy().setTimeout(1);
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from(uri).routeId("slow").process(e -> started.add(Messages.received(e).body()))
                        .delay(3000).asyncDelayed()
                        .process(e -> finished.add(Messages.received(e).body()));
            }
        });
        Await.until("runs are in flight", Duration.ofSeconds(30), () -> !started.isEmpty());
        context.getRouteController().stopRoute("slow");
        int done = finished.size();
        assertThat(done).as("stopped with runs in flight").isLessThan(ids.size());

        Set<String> left = new java.util.HashSet<>();
        long deadline = System.nanoTime() + redeliveryWithin().plusSeconds(20).toNanos();
        while (!unionCovers(finished, left, ids) && System.nanoTime() < deadline) {
            binding().provisioner().pull(context, channel(address), 10, Duration.ofSeconds(1), true)
                    .forEach(m -> left.add(m.body()));
        }
        Set<String> missing = ids.stream().filter(id -> !finished.contains(id) && !left.contains(id))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        assertThat(missing).as("neither finished nor left at the broker (%d finished, %d started)", done,
                started.size()).isEmpty();
    }

    /**
     * Every ordering the broker offers, through its consumer endpoint, with a blocking step of
     * 5-25 ms in each run: key keeps each key's order and never runs two of one key at once, while
     * keys overlap; partition runs one at a time per partition; none runs side by side.
     */
    @Test
    void everyOrderingTheBrokerOffersKeepsItsPromise() throws Exception {
        for (io.caravan.spec.Capabilities.RunOrder order : binding().spec().capabilities().runOrders()) {
            Ordered run = runOrdered(order, null);
            assertThat(run.violations).as(order + ": runs that should have waited for each other").isEmpty();
            if (order != io.caravan.spec.Capabilities.RunOrder.NONE) {
                run.starts.forEach((key, seqs) -> assertThat(seqs).as(order + ": starts of " + key).isSorted());
            }
            if (order != io.caravan.spec.Capabilities.RunOrder.PARTITION) {
                assertThat(run.maxAtOnce.get()).as(order + ": most runs at once").isGreaterThan(1);
            }
        }
    }

    /**
     * With key order, a run that fails holds back the later messages of its key only: they start
     * after it ran again and finished, while the other keys finish meanwhile.
     */
    @Test
    void aFailedRunHoldsBackOnlyTheLaterMessagesOfItsKey() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(binding().spec().capabilities().runOrders()
                .contains(io.caravan.spec.Capabilities.RunOrder.KEY), binding().queueType() + " has no key order: nothing"
                + " to hold back (aFailedRunIsDeliveredAgain covers its redelivery)");
        Ordered run = runOrdered(io.caravan.spec.Capabilities.RunOrder.KEY, "k0-3");
        assertThat(run.violations).as("runs of one key at once").isEmpty();
        assertThat(run.starts.get("k0")).as("k0's starts: 3 fails once, then runs again before 4").startsWith(0, 1, 2, 3, 3, 4)
                .isSorted();
        run.starts.forEach((key, seqs) -> assertThat(seqs).as("starts of " + key).isSorted());
        assertThat(run.othersDoneAtRetry.get()).as("messages of other keys finished before k0-3 ran again")
                .isEqualTo((ORDER_KEYS - 1) * ORDER_PER_KEY);
    }

    private static final int ORDER_KEYS = 5;
    private static final int ORDER_PER_KEY = 12;

    /** What {@link #runOrdered} saw. */
    private record Ordered(List<String> violations, Map<String, List<Integer>> starts, java.util.concurrent.atomic.AtomicInteger maxAtOnce,
                           java.util.concurrent.atomic.AtomicInteger othersDoneAtRetry) {
    }

    /**
     * Publishes ORDER_KEYS keys x ORDER_PER_KEY messages, interleaved, and consumes them in
     * {@code order}; the message named {@code failOnce} fails its first run.
     */
    private Ordered runOrdered(io.caravan.spec.Capabilities.RunOrder order, String failOnce) throws Exception {
        boolean keyed = order != io.caravan.spec.Capabilities.RunOrder.NONE;
        String address = keyed ? keyedAddress() : address();
        for (int seq = 0; seq < ORDER_PER_KEY; seq++) {
            for (int k = 0; k < ORDER_KEYS; k++) {
                String body = "k" + k + "-" + seq;
                if (keyed) {
                    publishKeyed(address, "k" + k, body);
                } else {
                    publish(address, body, Map.of());
                }
            }
        }
        Map<String, Object> config = new HashMap<>(nodeConfig());
        config.put("ordering", order.wireName());
        String uri = binding().consumerUri(TestBrokers.channel(credential().id(), address, config), false);
        List<String> violations = new CopyOnWriteArrayList<>();
        Map<String, List<Integer>> starts = new ConcurrentHashMap<>();
        Map<String, java.util.concurrent.atomic.AtomicInteger> active = new ConcurrentHashMap<>();
        Set<String> done = ConcurrentHashMap.newKeySet();
        Set<String> failed = ConcurrentHashMap.newKeySet();
        var atOnce = new java.util.concurrent.atomic.AtomicInteger();
        var maxAtOnce = new java.util.concurrent.atomic.AtomicInteger();
        var othersDoneAtRetry = new java.util.concurrent.atomic.AtomicInteger(-1);
        java.util.Random random = new java.util.Random(7);
        String routeId = "ordered-" + order.wireName() + "-" + address.hashCode();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                errorHandler(noErrorHandler());
                from(uri).routeId(routeId).process(e -> {
                    ReceivedMessage m = Messages.received(e);
                    String key = m.body().substring(0, m.body().indexOf('-'));
                    int seq = Integer.parseInt(m.body().substring(m.body().indexOf('-') + 1));
                    String lane = switch (order) {
                        case KEY -> key;
                        case PARTITION -> partitionOf(m);
                        case NONE -> null;
                    };
                    if (lane != null && active.computeIfAbsent(lane, l -> new java.util.concurrent.atomic.AtomicInteger())
                            .incrementAndGet() > 1) {
                        violations.add(m.body() + " started while another run of " + lane + " was running");
                    }
                    synchronized (starts) {
                        starts.computeIfAbsent(key, k -> new ArrayList<>()).add(seq);
                    }
                    if (m.body().equals(failOnce) && failed.contains(failOnce)) {
                        othersDoneAtRetry.set((int) done.stream().filter(b -> !b.startsWith(key + "-")).count());
                    }
                    maxAtOnce.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
                    try {
                        Thread.sleep(5 + random.nextInt(21)); // a blocking step: an http call, say
                    } finally {
                        atOnce.decrementAndGet();
                        if (lane != null) {
                            active.get(lane).decrementAndGet();
                        }
                    }
                    if (m.body().equals(failOnce) && failed.add(failOnce)) {
                        throw new IllegalStateException("the first run of " + failOnce + " fails");
                    }
                    done.add(m.body());
                });
            }
        });
        Await.until(ORDER_KEYS * ORDER_PER_KEY + " messages run in ordering " + order.wireName(),
                redeliveryWithin().plusSeconds(30), () -> done.size() == ORDER_KEYS * ORDER_PER_KEY);
        context.getRouteController().stopRoute(routeId);
        context.removeRoute(routeId);
        return new Ordered(violations, starts, maxAtOnce, othersDoneAtRetry);
    }

    private static boolean unionCovers(Set<String> a, Set<String> b, List<String> all) {
        return all.stream().allMatch(id -> a.contains(id) || b.contains(id));
    }

    @Test
    void aBrokerDownAtStartMakesItsWorkflowWaitAndNamesNoSecret() throws Exception {
        int port = Ports.free();
        String secret = "it-secret-" + java.util.UUID.randomUUID();
        Credential down = unreachable(port, secret);
        try (LogCapture logs = LogCapture.begin();
             CaravanRuntime runtime = runtime(down, """
                     id: waits
                     nodes:
                       - {id: in, type: receive_message, config: {queue_type: %s, source: somewhere, credential_id: %s}}
                       - {id: log, type: log, config: {message: "{{input}}"}}
                     edges: [{from: in, to: log}]
                     """.formatted(binding().queueType(), down.id()))) {
            assertThat(runtime.deployer().waiting()).containsExactly("waits");
            assertThat(logs.text()).contains("CONNECTION_FAILED").contains("127.0.0.1:" + port).doesNotContain(secret);

            binding().provisioner().bind(context, down);
            Channel closed = TestBrokers.channel(down.id(), "somewhere", nodeConfig());
            Throwable failure = catchThrowable(() -> binding().provisioner().pull(context, closed, 1,
                    Duration.ofSeconds(2), false));
            CaravanException e = binding().provisioner().classify(failure, closed);
            assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED);
            assertThat(e.getMessage()).contains("127.0.0.1:" + port).doesNotContain(secret);
        }
    }

    @Test
    void aMissingAddressIsQueueNotFound() {
        Channel missing = channel(TestBrokers.unique("absent"));
        Throwable failure = catchThrowable(() -> binding().provisioner().pull(context, missing, 1,
                Duration.ofSeconds(2), false));
        assertThat(failure).as("a pull of an address that does not exist fails").isNotNull();
        assertThat(binding().provisioner().classify(failure, missing).code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND);
    }

    @Test
    void endpointUrisCarryNoSecret() {
        String secret = "it-secret-" + java.util.UUID.randomUUID();
        Credential credential = unreachable(Ports.free(), secret);
        binding().provisioner().bind(context, credential);
        Channel channel = TestBrokers.channel(credential.id(), "q", nodeConfig());
        String uris = binding().consumerUri(channel, false) + binding().consumerUri(channel, true)
                + binding().producerUri(channel);
        assertThat(uris).contains(Bindings.beanName(credential.id())).doesNotContain(secret);
    }

    /**
     * Walks every secret field of the broker's credential type: a credential whose field holds a
     * distinctive secret is loaded, validated with a mistake beside it, bound, used by a trigger
     * (which the broker may refuse) and probed for depth; the secret must then be in none of the
     * validator's report, the log at DEBUG, the compiled YAML, any MBean attribute, /metrics,
     * /ready or the credential's toString. Each scan is shown to see the workflow's id, so a scan
     * that read nothing cannot pass. A new secret field is walked as soon as it is declared.
     */
    @Test
    void everySecretFieldOfTheCredentialTypeStaysSecret() throws Exception {
        List<String> fields = binding().spec().credential().secretFields();
        assertThat(fields).as("the credential type declares its secret fields").isNotEmpty();
        for (String field : fields) {
            String secret = "sEcReT" + java.util.UUID.randomUUID().toString().replace("-", "");
            Credential credential = credentialWithSecret(field, secret);
            assertThat(String.valueOf(credential.get(field))).as(field + " holds the secret").contains(secret);
            String where = "secret field " + field + " of " + credential.type() + ": ";

            // the validator's report, with the secret in the file and a mistake beside it
            Path broken = home.resolve("broken-" + field + ".yaml");
            Files.writeString(broken, credentialsYaml(credential).replaceFirst("\\{", "{\"no_such_field\": [1], "));
            String report = catchThrowable(() -> io.caravan.credential.CredentialStore.load(broken, broken.toString(),
                    List.of(binding().spec().credential()), Map.of())).getMessage();
            assertThat(report).contains("no_such_field");
            SecretScan.assertNoSecret(secret, where + "the validator's report", report);
            SecretScan.assertNoSecret(secret, where + "Credential.toString()", credential.toString());

            String workflowId = "leaks-" + field.replace('_', '-');
            String source = address();
            Map<String, org.apache.logging.log4j.Level> levels = SecretScan.debug("io.caravan", "org.apache.camel",
                    "org.apache.kafka", "com.rabbitmq", "io.lettuce", "software.amazon.awssdk");
            String logs;
            String yaml;
            String jmx;
            String metrics;
            String ready;
            try (LogCapture capture = LogCapture.begin()) {
                try (CaravanRuntime runtime = runtime(credential, """
                        id: %s
                        nodes:
                          - {id: in, type: receive_message, config: {queue_type: %s, source: %s, credential_id: %s}}
                          - {id: log, type: log, config: {message: "{{input}}"}}
                        edges: [{from: in, to: log}]
                        """.formatted(workflowId, binding().queueType(), source, credential.id()),
                        Map.of("caravan.metrics.depth-interval", "1s"))) {
                    Await.until("the depth probe ran", Duration.ofSeconds(30), () -> runtime.observability().probe() != null
                            && runtime.observability().probe().probedOnce());
                    yaml = io.caravan.compile.YamlPrinter.print(runtime.deployer().runningAndWaiting());
                    jmx = SecretScan.jmx();
                    metrics = io.caravan.runtime.observe.Scrape.get(runtime.managementPort(), "/metrics").body();
                    ready = io.caravan.runtime.observe.Scrape.get(runtime.managementPort(), "/ready").body();
                }
                logs = capture.text();
            } finally {
                SecretScan.restore(levels);
            }
            assertThat(logs).as("the log scan sees the workflow").contains(workflowId);
            assertThat(yaml).as("the YAML scan sees the workflow").contains(workflowId);
            // a workflow that waits for its broker has no route yet: the scan must see the runtime's context
            assertThat(jmx).as("the JMX scan sees the runtime").contains("context=caravan");
            assertThat(metrics).as("the metrics scan sees the workflow").contains(workflowId);
            SecretScan.assertNoSecret(secret, where + "the log", logs);
            SecretScan.assertNoSecret(secret, where + "the compiled YAML", yaml);
            SecretScan.assertNoSecret(secret, where + "JMX", jmx);
            SecretScan.assertNoSecret(secret, where + "/metrics", metrics);
            SecretScan.assertNoSecret(secret, where + "/ready", ready);
        }
    }

    /** The receive config of a trigger on {@code source}: queue_type, source, credential and {@link #nodeConfig}. */
    /** Bytes that are not UTF-8, with a NUL: what a dead letter must carry unchanged. */
    protected static final byte[] NOT_UTF8 = {(byte) 0xff, (byte) 0xfe, ' ', 'n', 'o', 't', ' ', 'j', 's', 'o', 'n', ' ', 0, (byte) 0xc3};

    /** A workflow reading {@code source} whose every run fails in its send, dead-lettering to {@code dlq}. */
    protected CaravanRuntime poisoned(String source, String dlq) throws Exception {
        return runtime("""
                id: poisoned
                error_handling:
                  dead_letter: {queue_type: %s, destination: %s, credential_id: %s}
                nodes:
                  - {id: in, type: receive_message, config: %s}
                  - {id: out, type: send_message, config: {queue_type: %1$s, destination: %2$s, message: "{{input.missing}}", credential_id: %3$s}}
                edges: [{from: in, to: out}]
                """.formatted(binding().queueType(), dlq, credential().id(), receiveConfig(source)));
    }

    private String receiveConfig(String source) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("queue_type", binding().queueType());
        config.put("source", source);
        config.put("credential_id", credential().id());
        nodeConfig().forEach((k, v) -> config.put(k, v instanceof Duration d ? d.toMillis() + "ms" : v));
        return Json.write(config);
    }

    protected CaravanRuntime runtime(String workflow) throws Exception {
        return runtime(credential(), workflow);
    }

    private CaravanRuntime runtime(Credential credential, String workflow) throws Exception {
        return runtime(credential, workflow, Map.of());
    }

    private CaravanRuntime runtime(Credential credential, String workflow, Map<String, String> settings) throws Exception {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), credentialsYaml(credential));
        Files.writeString(workflows.resolve("workflow.yaml"), workflow);
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("caravan.http.port", String.valueOf(Ports.free()));
        properties.put("caravan.management.port", String.valueOf(Ports.free()));
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(properties)).start();
    }

    /** A credentials file holding {@code credential} (JSON values are YAML). */
    static String credentialsYaml(Credential credential) {
        Map<String, Object> fields = new HashMap<>(credential.fields());
        fields.put("type", credential.type());
        return Json.write(Map.of(credential.id(), fields)) + "\n";
    }

    protected static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
