package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.compile.nodes.ConcurrencyLimit;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.HttpClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-tenant limits: three tenants, one flooding. A Kafka trigger with
 * {@code concurrency: {key: "{{input.tenant}}", limit: 3}} never has more than 3 of the flooding
 * tenant's runs in its 150 ms lookup at once, while the two quiet tenants' records, written after
 * the flood, are all done before most of the flood is: their runs do not queue behind it.
 */
class TenantLimitIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;

    @Test
    void aFloodingTenantStaysWithinItsLimitAndTheOthersGoFirst() throws Exception {
        Map<String, AtomicInteger> now = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> most = new ConcurrentHashMap<>();
        HttpServer lookup = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        lookup.setExecutor(Executors.newFixedThreadPool(32));
        lookup.createContext("/lookup", exchange -> {
            String tenant = exchange.getRequestURI().getQuery().replace("tenant=", "");
            int running = now.computeIfAbsent(tenant, k -> new AtomicInteger()).incrementAndGet();
            most.computeIfAbsent(tenant, k -> new AtomicInteger()).accumulateAndGet(running, Math::max);
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            now.get(tenant).decrementAndGet();
            byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        lookup.start();
        String in = TestBrokers.unique("tenants");
        TestBrokers.kafka().createTopic(in, 1);
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("tenants.yaml"), """
                id: tenants
                nodes:
                  - id: in
                    type: receive_message
                    config:
                      queue_type: kafka
                      source: %s
                      credential_id: kafka
                      ordering: none
                      concurrency: {key: "{{input.tenant}}", limit: 3}
                  - {id: lookup, type: http, config: {url: "http://127.0.0.1:%d/lookup?tenant={{input.tenant}}"}}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: %s-out, credential_id: kafka, message: '{"tenant": "{{input.tenant}}", "n": {{input.n}}}'}}
                edges: [{from: in, to: lookup}, {from: lookup, to: out}]
                """.formatted(in, lookup.getAddress().getPort(), in));
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "kafka: {type: queue_kafka, brokers: [\"" + TestBrokers.kafka().bootstrapServers()
                + "\"], consumer_group: " + TestBrokers.unique("t") + "}\n");
        Properties p = new Properties();
        p.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 60; i++) {
                producer.send(new ProducerRecord<>(in, "{\"tenant\": \"flood\", \"n\": " + i + "}"));
            }
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>(in, "{\"tenant\": \"a\", \"n\": " + i + "}"));
                producer.send(new ProducerRecord<>(in, "{\"tenant\": \"b\", \"n\": " + i + "}"));
            }
        }
        int managementPort = Ports.free();
        List<String> arrived = new ArrayList<>();
        int mostWaiting = 0;
        String scraped = "";
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials)
                .withProperties(Map.of("caravan.http.port", String.valueOf(Ports.free()),
                        "caravan.management.port", String.valueOf(managementPort)))).start()) {
            Properties c = new Properties();
            c.put("bootstrap.servers", TestBrokers.kafka().bootstrapServers());
            c.put("group.id", TestBrokers.unique("reader"));
            c.put("auto.offset.reset", "earliest");
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
                consumer.subscribe(List.of(in + "-out"));
                long deadline = System.currentTimeMillis() + 60_000;
                while (arrived.size() < 70 && System.currentTimeMillis() < deadline) {
                    mostWaiting = Math.max(mostWaiting, ConcurrencyLimit.waiting("tenants"));
                    if (scraped.isEmpty() && ConcurrencyLimit.waiting("tenants") > 0) {
                        scraped = HttpClients.http11().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + managementPort + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                                HttpResponse.BodyHandlers.ofString()).body();
                    }
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(50))) {
                        arrived.add(JSON.readTree(r.value()).get("tenant").asText());
                    }
                }
            }
        } finally {
            lookup.stop(0);
        }
        System.out.printf("TenantLimitIT: arrival order %s; most in the lookup at once %s; most waiting %d%n",
                String.join(",", arrived), most, mostWaiting);
        assertThat(arrived).hasSize(70);
        assertThat(most.get("flood").get()).as("the flooding tenant's runs at once").isEqualTo(3);
        int lastQuiet = Math.max(arrived.lastIndexOf("a"), arrived.lastIndexOf("b"));
        int floodDone = 0;
        for (int i = 0; i <= lastQuiet; i++) {
            floodDone += arrived.get(i).equals("flood") ? 1 : 0;
        }
        assertThat(floodDone).as("flood records done before the quiet tenants' last one").isLessThan(20);
        assertThat(mostWaiting).as("flood runs waited for a place").isGreaterThan(10);
        assertThat(scraped).contains("caravan_runs_waiting{workflow=\"tenants\"}");
        assertThat(ConcurrencyLimit.waiting("tenants")).as("nobody waits once all are done").isZero();
    }
}
