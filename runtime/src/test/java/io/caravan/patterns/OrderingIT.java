package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11's measurement as a workflow: 20 accounts x 25 records, {@code receive_message} (Kafka,
 * {@code ordering: key}, the default) -> {@code http} lookup answering in 0-25 ms -> {@code
 * send_message} (Kafka, keyed by account). Every account's records reach the output topic in
 * their order while the lookups of different accounts run side by side, and a lookup that fails
 * once (503, retried by the workflow) holds back only its own account. The time is printed; the
 * benchmark compares the orderings.
 */
class OrderingIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ACCOUNTS = 20;
    private static final int PER_ACCOUNT = 25;

    @TempDir
    static Path home;
    static HttpServer lookup;
    static final AtomicInteger concurrent = new AtomicInteger();
    static final AtomicInteger mostConcurrent = new AtomicInteger();
    static final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    /** When acct-3's failing lookup was answered, and when it succeeded; lookups of others between. */
    static final AtomicLong failedAt = new AtomicLong();
    static final AtomicLong succeededAt = new AtomicLong();
    static volatile long lastArrival;
    static final List<Long> otherLookups = java.util.Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void lookupService() throws Exception {
        lookup = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        lookup.setExecutor(Executors.newFixedThreadPool(64));
        lookup.createContext("/lookup", exchange -> {
            String query = exchange.getRequestURI().getQuery(); // account=acct-3&seq=10
            Map<String, String> q = new HashMap<>();
            for (String pair : query.split("&")) {
                q.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
            }
            mostConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(26));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                concurrent.decrementAndGet();
            }
            String id = q.get("account") + ":" + q.get("seq");
            int call = calls.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
            boolean fail = id.equals("acct-3:10") && call == 1;
            if (fail) {
                failedAt.set(System.nanoTime());
            } else if (id.equals("acct-3:10")) {
                succeededAt.set(System.nanoTime());
            } else if (!q.get("account").equals("acct-3")) {
                otherLookups.add(System.nanoTime());
            }
            byte[] body = (fail ? "{\"error\": \"try again\"}" : "{\"tier\": \"gold\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(fail ? 503 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lookup.start();
    }

    @AfterAll
    static void stop() {
        lookup.stop(0);
    }

    @Test
    void everyAccountKeepsItsOrderWhileAccountsRunSideBySide() throws Exception {
        String in = TestBrokers.unique("accounts");
        String out = in + "-enriched";
        TestBrokers.kafka().createTopic(in, 3);
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("enrich.yaml"), """
                id: enrich
                error_handling:
                  retry: {max_attempts: 3, initial_delay: 200ms, retry_on: [HTTP_5XX]}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %s, credential_id: kafka-ord}}
                  - id: lookup
                    type: http
                    config: {method: GET, url: "http://127.0.0.1:%d/lookup?account={{input.account}}&seq={{input.seq}}"}
                  - id: out
                    type: send_message
                    config:
                      queue_type: kafka
                      destination: %s
                      credential_id: kafka-ord
                      key: "{{input.account}}"
                      message: '{"account": "{{input.account}}", "seq": {{input.seq}}, "tier": "{{lookup.response.tier}}"}'
                edges: [{from: in, to: lookup}, {from: lookup, to: out}]
                """.formatted(in, lookup.getAddress().getPort(), out));
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "kafka-ord: {type: queue_kafka, brokers: [\"" + TestBrokers.kafka().bootstrapServers()
                + "\"], consumer_group: " + TestBrokers.unique("ord") + "}\n");

        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int seq = 0; seq < PER_ACCOUNT; seq++) {
                for (int a = 0; a < ACCOUNTS; a++) {
                    producer.send(new ProducerRecord<>(in, "acct-" + a,
                            "{\"account\": \"acct-" + a + "\", \"seq\": " + seq + "}"));
                }
            }
        }
        Map<String, List<Integer>> arrived;
        long began;
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials)
                .withProperties(Map.of("caravan.http.port", String.valueOf(Ports.free()),
                        "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            began = System.nanoTime();
            arrived = readUntil(out, ACCOUNTS * PER_ACCOUNT);
        }
        double seconds = (lastArrival - began) / 1e9;
        long othersWhileAcct3Waited = otherLookups.stream().filter(t -> t > failedAt.get() && t < succeededAt.get()).count();
        System.out.printf("OrderingIT: %d records through a 0-25 ms lookup in %.2f s (from start-up to the last output), at most %d"
                + " lookups at once, %d lookups of other accounts while acct-3:10 waited for its retry%n",
                ACCOUNTS * PER_ACCOUNT, seconds, mostConcurrent.get(), othersWhileAcct3Waited);

        assertThat(arrived).hasSize(ACCOUNTS);
        List<Integer> expected = new ArrayList<>();
        for (int seq = 0; seq < PER_ACCOUNT; seq++) {
            expected.add(seq);
        }
        arrived.forEach((account, seqs) -> assertThat(seqs).as(account + " in order").isEqualTo(expected));
        assertThat(calls.get("acct-3:10").get()).as("acct-3:10 failed once and was retried").isEqualTo(2);
        assertThat(othersWhileAcct3Waited).as("other accounts went on while acct-3 waited").isPositive();
        assertThat(mostConcurrent.get()).as("lookups of different accounts ran side by side").isGreaterThan(4);
    }

    /** Each account's seq values in the order they arrived on {@code topic}, once {@code count} arrived. */
    private static Map<String, List<Integer>> readUntil(String topic, int count) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        p.put("group.id", TestBrokers.unique("reader"));
        p.put("auto.offset.reset", "earliest");
        Map<String, List<Integer>> arrived = new HashMap<>();
        int total = 0;
        long deadline = System.currentTimeMillis() + Duration.ofSeconds(90).toMillis();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            while (total < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    JsonNode value = JSON.readTree(r.value());
                    assertThat(value.get("tier").asText()).isEqualTo("gold");
                    arrived.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(value.get("seq").asInt());
                    total++;
                    lastArrival = System.nanoTime();
                }
            }
        }
        return arrived;
    }
}
