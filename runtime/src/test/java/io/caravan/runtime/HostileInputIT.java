package io.caravan.runtime;

import io.caravan.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.testing.LogCapture;
import io.caravan.testing.TestBrokers;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.logging.log4j.core.LogEvent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile bodies and headers reach a running Caravan and it keeps serving, treating them as data:
 * an oversized webhook body is refused before any workflow runs; random bytes, non-JSON and
 * 5,000-level-deep JSON become text (or a clean error), never a hang, a crash or a stuck consumer;
 * Camel's own header names sent by an HTTP caller change nothing and are not offered to templates;
 * a log node writes one log line whatever newlines a value holds. The same poison bodies on a
 * Kafka topic do not block the records behind them.
 */
class HostileInputIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static int port;
    static HttpServer target;
    static final List<String> targetRequests = new CopyOnWriteArrayList<>();
    static EmbeddedKafka kafka;
    static String topicIn;
    static String topicOut;

    @BeforeAll
    static void start() throws Exception {
        // the http node's target: records every request it gets, so a redirected one shows
        target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        target.createContext("/", exchange -> {
            StringBuilder seen = new StringBuilder(exchange.getRequestMethod() + " " + exchange.getRequestURI());
            exchange.getRequestHeaders().forEach((k, v) -> seen.append(" | ").append(k.toLowerCase(Locale.ROOT)).append('=').append(v));
            targetRequests.add(seen.toString());
            byte[] answer = "{\"ok\": true}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        target.start();

        kafka = TestBrokers.kafka();
        topicIn = TestBrokers.unique("hostile-in");
        topicOut = TestBrokers.unique("hostile-out");
        kafka.createTopic(topicIn, 1);
        kafka.createTopic(topicOut, 1);
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "kafka-test: {type: queue_kafka, brokers: [\"%s\"], consumer_group: %s}\n"
                .formatted(kafka.bootstrapServers(), TestBrokers.unique("hostile")));

        Path workflows = Files.createDirectories(home.resolve("workflows"));
        // the body goes back as a JSON value: a string stays a string, whatever bytes it holds
        workflow(workflows, "echo", """
                {"id": "w", "type": "transform", "config": {"template": "{\\"body\\": {{trigger.body}}}"}}""");
        workflow(workflows, "call", """
                {"id": "w", "type": "http", "config": {"method": "POST", "url": "http://127.0.0.1:%d/ok", "body": "{}"}},
                {"id": "out", "type": "transform", "config": {"template": "{\\"headers\\": {{trigger.headers}}, \\"status\\": {{w.status}}}"}}"""
                .formatted(target.getAddress().getPort()), "out");
        workflow(workflows, "logline", """
                {"id": "w", "type": "log", "config": {"message": "got {{input.text}} end"}}""");
        Files.writeString(workflows.resolve("kafka-relay.json"), """
                {"id": "kafka-relay", "name": "relay",
                 "nodes": [{"id": "in", "type": "receive_message", "config": {"queue_type": "kafka", "source": "%s", "credential_id": "kafka-test"}},
                           {"id": "out", "type": "send_message", "config": {"queue_type": "kafka", "destination": "%s", "credential_id": "kafka-test", "message": "{\\"body\\": {{input}}}"}}],
                 "edges": [{"from": "in", "to": "out"}]}
                """.formatted(topicIn, topicOut));

        port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withCredentials(credentials)
                .withEnv(new HashMap<>(System.getenv()))
                .withProperties(Map.of("caravan.http.port", String.valueOf(port),
                        "caravan.management.port", String.valueOf(Ports.free())));
        runtime = CaravanRuntime.create(options).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        target.stop(0);
    }

    @Test
    void refusesABodyOverTenMebibytesAndKeepsServing() throws Exception {
        byte[] big = new byte[10 * 1024 * 1024 + 1024];
        java.util.Arrays.fill(big, (byte) 'a');
        int status;
        try {
            status = post("echo", big, "text/plain").statusCode();
        } catch (IOException e) {
            // the server may close the connection while the client still uploads: refused too
            status = -1;
        }
        assertThat(status).as("status for an 10 MiB + 1 KiB body").isIn(413, -1);

        HttpResponse<String> after = post("echo", "still here".getBytes(StandardCharsets.UTF_8), "text/plain");
        assertThat(after.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(after.body()).at("/output/body").asText()).isEqualTo("still here");
    }

    @Test
    void randomBytesAndNonJsonBecomeText() throws Exception {
        byte[] random = new byte[4096];
        new Random(42).nextBytes(random);
        HttpResponse<String> r = post("echo", random, "application/octet-stream");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body()).at("/output/body");
        assertThat(body.isTextual()).isTrue();
        // malformed UTF-8 is decoded the standard way (U+FFFD), nothing dropped or interpreted
        assertThat(body.asText()).isEqualTo(new String(random, StandardCharsets.UTF_8));

        // sent as JSON but not JSON: 400 with the parser's place (issue 12), nothing in it evaluated
        String notJson = "{\"half\": [1, 2, ${sys:user.home} {{input}}";
        HttpResponse<String> r2 = post("echo", notJson.getBytes(StandardCharsets.UTF_8), "application/json");
        assertThat(r2.statusCode()).as(r2.body()).isEqualTo(400);
        assertThat(r2.body()).contains("invalid JSON at line 1, column 18").doesNotContain(System.getProperty("user.home"));
        HttpResponse<String> r3 = post("echo", notJson.getBytes(StandardCharsets.UTF_8), "text/plain");
        assertThat(r3.statusCode()).as("the same, sent as text").isEqualTo(200);
        assertThat(JSON.readTree(r3.body()).at("/output/body").asText()).isEqualTo(notJson);
    }

    @Test
    void deeplyNestedJsonIsTextOrAnErrorNeverAHang() throws Exception {
        String deep = "[".repeat(5000) + "]".repeat(5000);
        long started = System.nanoTime();
        HttpResponse<String> r = post("echo", deep.getBytes(StandardCharsets.UTF_8), "application/json");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
        JsonNode answer = JSON.readTree(r.body());
        if (r.statusCode() == 200) {
            // past Jackson's nesting limit the body is not parsed: it stays the text it was
            assertThat(answer.at("/output/body").asText()).isEqualTo(deep);
        } else {
            assertThat(r.statusCode()).isBetween(400, 599);
            // past Jackson's nesting limit: malformed as far as Caravan can tell
            assertThat(answer.get("status").asText()).isIn("failed", "rejected");
        }
        assertThat(post("echo", "{\"ok\": 1}".getBytes(StandardCharsets.UTF_8), "application/json").statusCode())
                .isEqualTo(200);
    }

    @Test
    void camelHeadersFromTheCallerChangeNothingAndAreNotData() throws Exception {
        targetRequests.clear();
        String stolen = "http://127.0.0.1:" + target.getAddress().getPort() + "/stolen";
        HttpResponse<String> r = post("call", "{}".getBytes(StandardCharsets.UTF_8), "application/json",
                "CamelHttpUri", stolen,
                "CamelHttpMethod", "DELETE",
                "CamelHttpPath", "/stolen",
                "CamelHttpQuery", "stolen=1",
                "Camel-anything", "x",
                "camelHttpResponseCode", "500",
                "X-Normal", "kept");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode output = JSON.readTree(r.body()).get("output");
        assertThat(output.get("status").asInt()).isEqualTo(200);
        // the http node went exactly where its config says, with only the headers it sets
        assertThat(targetRequests).hasSize(1);
        assertThat(targetRequests.get(0)).startsWith("POST /ok ").doesNotContain("stolen")
                .doesNotContainIgnoringCase("camel").doesNotContain("x-normal");
        // trigger.headers holds the caller's plain headers, none of the Camel* ones
        JsonNode headers = output.get("headers");
        assertThat(headers.get("x-normal").asText()).isEqualTo("kept");
        List<String> names = new ArrayList<>();
        headers.fieldNames().forEachRemaining(names::add);
        assertThat(names).noneMatch(n -> n.toLowerCase(Locale.ROOT).startsWith("camel"));
    }

    @Test
    void aLogNodeWritesOneLineWhateverTheValueHolds() throws Exception {
        String forged = "first\n00:00:00.000 ERROR forged - FORGED LINE\r\nlast";
        List<LogEvent> events;
        String text;
        try (LogCapture capture = LogCapture.begin()) {
            HttpResponse<String> r = post("logline", JSON.writeValueAsBytes(Map.of("text", forged)), "application/json");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            events = capture.events("caravan.workflow.logline");
            text = capture.text();
        }
        assertThat(events).hasSize(1);
        String message = events.get(0).getMessage().getFormattedMessage();
        assertThat(message).contains("first", "FORGED LINE", "last").doesNotContain("\n", "\r");
        // in the written log, too, the forged entry is inside the one real line
        assertThat(text.lines().filter(l -> l.contains("FORGED LINE")).toList()).singleElement()
                .asString().contains("caravan.workflow.logline");
    }

    @Test
    void poisonRecordsOnKafkaDoNotBlockTheOnesBehind() throws Exception {
        byte[] random = new byte[512];
        new Random(7).nextBytes(random);
        String deep = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topicIn, random)).get();
            producer.send(new ProducerRecord<>(topicIn, deep.getBytes(StandardCharsets.UTF_8))).get();
            producer.send(new ProducerRecord<>(topicIn, "{\"good\": true}".getBytes(StandardCharsets.UTF_8))).get();
        }
        Properties c = new Properties();
        c.put("bootstrap.servers", kafka.bootstrapServers());
        c.put("group.id", TestBrokers.unique("reader"));
        c.put("auto.offset.reset", "earliest");
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topicOut));
            long deadline = System.currentTimeMillis() + 20_000;
            while (got.size() < 3 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(300))) {
                    got.add(r.value());
                }
            }
        }
        assertThat(got).as("relayed records").hasSize(3);
        assertThat(JSON.readTree(got.get(0)).get("body").asText()).isEqualTo(new String(random, StandardCharsets.UTF_8));
        assertThat(JSON.readTree(got.get(1)).get("body").asText()).isEqualTo(deep);
        assertThat(JSON.readTree(got.get(2)).at("/body/good").asBoolean()).isTrue();
    }

    /** A webhook workflow {@code id}: the trigger, then {@code nodes} in a chain from node w. */
    private static void workflow(Path dir, String id, String nodes, String... more) throws IOException {
        StringBuilder edges = new StringBuilder("{\"from\": \"hook\", \"to\": \"w\"}");
        String last = "w";
        for (String next : more) {
            edges.append(", {\"from\": \"").append(last).append("\", \"to\": \"").append(next).append("\"}");
            last = next;
        }
        Files.writeString(dir.resolve(id + ".json"), """
                {"id": "%s", "name": "%s", "nodes": [{"id": "hook", "type": "webhook"}, %s], "edges": [%s]}
                """.formatted(id, id, nodes, edges));
    }

    static HttpResponse<String> post(String workflow, byte[] body, String contentType, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", contentType).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
