package io.caravan.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The workflow language's control flow (for_each, error branches) in Caravan's runtime, once
 * from the compiled route model and once from the YAML that {@code caravan compile} prints.
 */
class ControlFlowIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();
    private static final List<String> WORKFLOWS = List.of("lookup-each.yaml", "lookup-each-4.yaml", "fallback-on-error.yaml",
            "fan-out.yaml", "race.yaml", "calls-top.yaml", "calls-middle.yaml", "calls-bottom.yaml", "calls-async.yaml",
            "calls-hooked.yaml", "calls-to-hook.yaml");

    @TempDir
    static Path home;
    static HttpServer service;
    static final AtomicInteger inFlight = new AtomicInteger();
    static final AtomicInteger mostInFlight = new AtomicInteger();
    static final AtomicInteger slowInFlight = new AtomicInteger();
    static final AtomicInteger mostSlowInFlight = new AtomicInteger();
    static final AtomicInteger counted = new AtomicInteger();
    static ServerSocket hangUp;
    static final AtomicInteger hangUps = new AtomicInteger();

    @BeforeAll
    static void setUp() throws IOException {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        for (String name : WORKFLOWS) {
            try (var in = ControlFlowIT.class.getResourceAsStream("/control/" + name)) {
                Files.copy(in, workflows.resolve(name));
            }
        }
        // answers {"id": <the id asked for>} after 5-40 ms, so items finish out of order
        service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        service.setExecutor(Executors.newFixedThreadPool(8));
        service.createContext("/lookup", exchange -> {
            int now = inFlight.incrementAndGet();
            mostInFlight.accumulateAndGet(now, Math::max);
            try {
                JsonNode req = JSON.readTree(exchange.getRequestBody());
                Thread.sleep(ThreadLocalRandom.current().nextInt(5, 40));
                byte[] answer = JSON.writeValueAsBytes(Map.of("id", req.get("id").asText()));
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, answer.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(answer);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
        });
        // answers {"id"} after the "ms" the request asks for, counting the calls in flight
        service.createContext("/slow", exchange -> {
            mostSlowInFlight.accumulateAndGet(slowInFlight.incrementAndGet(), Math::max);
            try {
                JsonNode req = JSON.readTree(exchange.getRequestBody());
                Thread.sleep(req.get("ms").asLong());
                answer(exchange, Map.of("id", req.get("id").asText()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                slowInFlight.decrementAndGet();
            }
        });
        service.createContext("/count", exchange -> {
            exchange.getRequestBody().readAllBytes();
            counted.incrementAndGet();
            answer(exchange, Map.of("id", "counted"));
        });
        service.start();
        // accepts and hangs up at once: every attempt of a call to it fails with CONNECTION_FAILED
        hangUp = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(() -> {
            while (!hangUp.isClosed()) {
                try (Socket s = hangUp.accept()) {
                    hangUps.incrementAndGet();
                } catch (IOException e) {
                    return;
                }
            }
        }, "hang-up");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterAll
    static void tearDown() throws IOException {
        service.stop(0);
        hangUp.close();
    }

    @ParameterizedTest(name = "via compiled YAML: {0}")
    @ValueSource(booleans = {false, true})
    void loopsAndErrorBranches(boolean viaYaml) throws Exception {
        int port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port),
                "caravan.management.port", String.valueOf(Ports.free()),
                "caravan.compile.via-yaml", String.valueOf(viaYaml)));
        try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
            String url = "http://127.0.0.1:" + service.getAddress().getPort();
            List<Map<String, String>> orders = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                orders.add(Map.of("id", "o-" + i));
            }
            String input = JSON.writeValueAsString(Map.of("service", url, "orders", orders));

            // concurrency 1: one lookup at a time, results in the items' order (counted once calls
            // an earlier test left going have ended: the service outlives each test's runtime)
            io.caravan.testing.Await.until("no lookup in flight", java.time.Duration.ofSeconds(10), () -> inFlight.get() == 0);
            mostInFlight.set(0);
            JsonNode one = completed(post(port, "lookup-each", input));
            assertRows(one, 12);
            assertThat(mostInFlight.get()).isEqualTo(1);

            // concurrency 4: lookups overlap (they take 5-40 ms each), results still in order
            mostInFlight.set(0);
            JsonNode four = completed(post(port, "lookup-each-4", input));
            assertRows(four, 12);
            assertThat(mostInFlight.get()).isBetween(2, 4);

            // an empty array runs no item
            JsonNode none = completed(post(port, "lookup-each", JSON.writeValueAsString(Map.of("service", url, "orders", List.of()))));
            assertThat(none.get("count").asInt()).isZero();
            assertThat(none.get("rows")).isEmpty();

            // more items than max_items: BAD_PAYLOAD before any item runs
            List<Map<String, String>> many = new ArrayList<>(orders);
            many.addAll(orders);
            HttpResponse<String> tooMany = post(port, "lookup-each", JSON.writeValueAsString(Map.of("service", url, "orders", many)));
            assertFailed(tooMany, 400, "BAD_PAYLOAD", "each-order", "24 elements, more than max_items 20");
            HttpResponse<String> notArray = post(port, "lookup-each-4", JSON.writeValueAsString(Map.of("service", url, "orders", "o-1")));
            assertFailed(notArray, 400, "BAD_PAYLOAD", "each-order", "items must be an array, got a string");

            // an item that fails fails the run, naming the body node it failed in
            List<Object> broken = new ArrayList<>(orders.subList(0, 3));
            broken.add(Map.of("name", "no id"));
            for (String wf : List.of("lookup-each", "lookup-each-4")) {
                HttpResponse<String> failed = post(port, wf, JSON.writeValueAsString(Map.of("service", url, "orders", broken)));
                assertFailed(failed, 422, "TEMPLATE_VALUE_MISSING", "lookup", "each-order.item.id");
            }

            // an error branch: the call fails after its 3 attempts, the error branch answers
            hangUps.set(0);
            JsonNode handled = completed(post(port, "fallback-on-error", JSON.writeValueAsString(
                    Map.of("url", "http://127.0.0.1:" + hangUp.getLocalPort() + "/x"))));
            assertThat(handled).isEqualTo(JSON.readTree("{\"path\": \"error\", \"code\": \"CONNECTION_FAILED\", \"node\": \"call\"}"));
            assertThat(hangUps.get()).as("attempts").isEqualTo(3);
            // the call works: the normal branch answers
            JsonNode normal = completed(post(port, "fallback-on-error", JSON.writeValueAsString(
                    Map.of("url", url + "/lookup"))));
            assertThat(normal.get("path").asText()).isEqualTo("normal");
        }
    }

    @org.junit.jupiter.api.Test
    void aFailedItemDeadLettersItsMessageOnce() throws Exception {
        io.caravan.testing.TestBrokers.requireRedis();
        var client = io.lettuce.core.RedisClient.create(io.caravan.testing.TestBrokers.REDIS_URL);
        try (var connection = client.connect()) {
            var redis = connection.sync();
            redis.del("cf-batches", "cf-lines", "cf-batches.dlq");
            RuntimeOptions options = redisRuntime("batches-redis.yaml");
            try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
                redis.xadd("cf-batches", Map.of("body", "{\"id\": \"b-1\", \"lines\": [{\"sku\": \"A\"}, {\"sku\": \"B\"}]}"));
                String broken = "{\"id\": \"b-2\", \"lines\": [{\"sku\": \"C\"}, {\"no\": \"sku\"}, {\"sku\": \"D\"}]}";
                redis.xadd("cf-batches", Map.of("body", broken));
                long deadline = System.currentTimeMillis() + 30_000;
                while (redis.xlen("cf-batches.dlq") < 1 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(1000); // a second letter would come now
                var letters = redis.xrange("cf-batches.dlq", io.lettuce.core.Range.create("-", "+"));
                assertThat(letters).hasSize(1);
                assertThat(letters.get(0).getBody()).containsEntry("body", broken)
                        .containsEntry("caravan-error-code", "TEMPLATE_VALUE_MISSING")
                        .containsEntry("caravan-failed-node", "send-line");
                var lines = redis.xrange("cf-lines", io.lettuce.core.Range.create("-", "+")).stream()
                        .map(m -> m.getBody().get("body")).toList();
                assertThat(lines).contains("{\"batch\": \"b-1\", \"sku\": \"A\"}", "{\"batch\": \"b-1\", \"sku\": \"B\"}");
                // both entries are done: acknowledged, nothing pending for the group
                assertThat(redis.xpending("cf-batches", "batches-redis").getCount()).isZero();
            }
        } finally {
            client.shutdown();
        }
    }

    @ParameterizedTest(name = "via compiled YAML: {0}")
    @ValueSource(booleans = {false, true})
    void parallelBranchesAndJoins(boolean viaYaml) throws Exception {
        int port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port),
                "caravan.management.port", String.valueOf(Ports.free()),
                "caravan.compile.via-yaml", String.valueOf(viaYaml)));
        try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
            String url = "http://127.0.0.1:" + service.getAddress().getPort();

            // wait all: both branches call at the same time; the join maps each branch's last node to its output
            mostSlowInFlight.set(0);
            JsonNode both = completed(post(port, "fan-out", JSON.writeValueAsString(Map.of("service", url,
                    "right_url", url + "/slow", "left_ms", 400, "right_ms", 400))));
            assertThat(mostSlowInFlight.get()).as("calls in flight at once").isEqualTo(2);
            assertThat(both.get("branches").asInt()).isEqualTo(2);
            assertThat(both.get("joined")).isEqualTo(JSON.readTree(
                    "{\"left\": {\"status\": 200, \"headers\": " + both.at("/joined/left/headers")
                            + ", \"response\": {\"id\": \"left\"}}, \"right-row\": {\"from\": \"right\"}}"));

            // a failing branch fails the join, naming the node it failed in
            HttpResponse<String> failed = post(port, "fan-out", JSON.writeValueAsString(Map.of("service", url,
                    "right_url", "http://127.0.0.1:" + hangUp.getLocalPort() + "/x", "left_ms", 10, "right_ms", 0)));
            assertFailed(failed, 502, "CONNECTION_FAILED", "right", "");

            // a branch slower than the join's timeout: TIMEOUT at the join, and the slow branch
            // starts no node after the call it was in
            HttpResponse<String> late = post(port, "fan-out", JSON.writeValueAsString(Map.of("service", url,
                    "right_url", url + "/slow", "left_ms", 10, "right_ms", 2500)));
            assertFailed(late, 504, "TIMEOUT", "joined", "the branch from 'right' of parallel 'both' did not finish within 1000 ms");

            // wait any: the fast branch answers; the slow branch's next node never runs
            counted.set(0);
            JsonNode first = completed(post(port, "race", JSON.writeValueAsString(Map.of("service", url,
                    "fast_url", url + "/slow", "fast_ms", 10, "slow_ms", 600))));
            assertThat(first.fieldNames()).toIterable().containsExactly("fast");
            assertThat(first.at("/fast/response/id").asText()).isEqualTo("fast");
            // wait any when the fast branch fails: the slow one answers
            JsonNode second = completed(post(port, "race", JSON.writeValueAsString(Map.of("service", url,
                    "fast_url", "http://127.0.0.1:" + hangUp.getLocalPort() + "/x", "fast_ms", 0, "slow_ms", 10))));
            assertThat(second.fieldNames()).toIterable().containsExactly("after-slow");
            Thread.sleep(700); // the first race's slow call is over by now
            assertThat(counted.get()).as("after-slow ran in the second race only").isEqualTo(1);
        }
    }

    @ParameterizedTest(name = "via compiled YAML: {0}")
    @ValueSource(booleans = {false, true})
    void subWorkflows(boolean viaYaml) throws Exception {
        int port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port),
                "caravan.management.port", String.valueOf(Ports.free()),
                "caravan.compile.via-yaml", String.valueOf(viaYaml)));
        try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
            String url = "http://127.0.0.1:" + service.getAddress().getPort();

            // three deep, sync: each caller's output is the called workflow's
            JsonNode top = completed(post(port, "calls-top", JSON.writeValueAsString(Map.of("n", "7", "url", url + "/slow"))));
            assertThat(top).isEqualTo(JSON.readTree("{\"top\": {\"middle\": {\"bottom\": \"7\", \"caller\":"
                    + " \"calls-middle\"}, \"caller\": \"calls-top\"}}"));

            // the bottom fails: each caller fails in its own node, with the bottom's code and node in the
            // message; the top's retry calls the whole chain again
            hangUps.set(0);
            HttpResponse<String> failed = post(port, "calls-top", JSON.writeValueAsString(Map.of("n", "8",
                    "url", "http://127.0.0.1:" + hangUp.getLocalPort() + "/x")));
            assertFailed(failed, 502, "CONNECTION_FAILED", "middle", "workflow 'calls-middle' failed in node 'bottom':"
                    + " node 'bottom': workflow 'calls-bottom' failed in node 'lookup'");
            assertThat(hangUps.get()).as("attempts of the top's call").isEqualTo(2);

            // a workflow with a webhook trigger, called: the same nodes, from its call entry; and still its webhook
            JsonNode via = completed(post(port, "calls-to-hook", JSON.writeValueAsString(Map.of("n", "h1", "url", url + "/slow"))));
            assertThat(via).isEqualTo(JSON.readTree("{\"via\": {\"hooked\": \"h1\"}}"));
            JsonNode direct = completed(post(port, "calls-hooked", JSON.writeValueAsString(Map.of("n", "h2", "url", url + "/slow"))));
            assertThat(direct).isEqualTo(JSON.readTree("{\"hooked\": \"h2\"}"));

            // async: answers with the started run's id; the called run goes on by itself
            counted.set(0);
            JsonNode started = completed(post(port, "calls-async", JSON.writeValueAsString(Map.of("n", "9", "url", url + "/count"))));
            assertThat(started.get("started").asText()).matches("[0-9a-f-]{36}");
            long deadline = System.currentTimeMillis() + 10_000;
            while (counted.get() < 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(counted.get()).as("the async run called the service").isEqualTo(1);
        }
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, Map<String, String> body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @org.junit.jupiter.api.Test
    void aFailedBranchDeadLettersItsMessageOnce() throws Exception {
        io.caravan.testing.TestBrokers.requireRedis();
        var client = io.lettuce.core.RedisClient.create(io.caravan.testing.TestBrokers.REDIS_URL);
        try (var connection = client.connect()) {
            var redis = connection.sync();
            redis.del("cf-forks", "cf-left", "cf-right", "cf-forks.dlq");
            RuntimeOptions options = redisRuntime("fork-redis.yaml");
            try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
                redis.xadd("cf-forks", Map.of("body", "{\"id\": \"f-1\", \"sku\": \"A\"}"));
                String broken = "{\"id\": \"f-2\"}";
                redis.xadd("cf-forks", Map.of("body", broken));
                long deadline = System.currentTimeMillis() + 30_000;
                while (redis.xlen("cf-forks.dlq") < 1 && System.currentTimeMillis() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(1000); // a second letter would come now
                var letters = redis.xrange("cf-forks.dlq", io.lettuce.core.Range.create("-", "+"));
                assertThat(letters).hasSize(1);
                assertThat(letters.get(0).getBody()).containsEntry("body", broken)
                        .containsEntry("caravan-error-code", "TEMPLATE_VALUE_MISSING")
                        .containsEntry("caravan-failed-node", "right");
                assertThat(redis.xrange("cf-right", io.lettuce.core.Range.create("-", "+"))).extracting(m -> m.getBody().get("body"))
                        .containsExactly("{\"sku\": \"A\"}");
                // f-1's left send; f-2's left send may have gone too, as it ran beside the branch that failed
                assertThat(redis.xrange("cf-left", io.lettuce.core.Range.create("-", "+"))).extracting(m -> m.getBody().get("body"))
                        .contains("{\"id\": \"f-1\"}").hasSizeBetween(1, 2);
                assertThat(redis.xpending("cf-forks", "fork-redis").getCount()).isZero();
            }
        } finally {
            client.shutdown();
        }
    }

    /** Options for a runtime of its own that runs one workflow of /control against the Redis on this machine. */
    private static RuntimeOptions redisRuntime(String workflow) throws IOException {
        Path redisHome = Files.createDirectories(home.resolve(workflow + "-home"));
        Path workflows = Files.createDirectories(redisHome.resolve("workflows"));
        try (var in = ControlFlowIT.class.getResourceAsStream("/control/" + workflow)) {
            Files.copy(in, workflows.resolve(workflow));
        }
        Path credentials = redisHome.resolve("credentials.yaml");
        Files.writeString(credentials, "redis-local: {type: queue_redis, url: \"" + io.caravan.testing.TestBrokers.REDIS_URL + "\"}\n");
        return RuntimeOptions.defaults(redisHome).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())));
    }

    private static void assertRows(JsonNode output, int n) {
        assertThat(output.get("count").asInt()).isEqualTo(n);
        JsonNode rows = output.get("rows");
        assertThat(rows).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(rows.get(i)).isEqualTo(JSON.createObjectNode().put("id", "o-" + i).put("index", i).put("echo", "o-" + i));
        }
    }

    private static JsonNode completed(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("status").asText()).isEqualTo("completed");
        return body.get("output");
    }

    private static void assertFailed(HttpResponse<String> response, int status, String code, String node, String says)
            throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.at("/error/code").asText()).isEqualTo(code);
        assertThat(body.at("/error/node").asText()).isEqualTo(node);
        assertThat(body.at("/error/message").asText()).contains(says);
    }

    static HttpResponse<String> post(int port, String workflow, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
