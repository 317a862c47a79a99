package io.caravan.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.observe.Scrape;
import io.caravan.testing.Ports;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's circuit breaker: after the failure threshold, calls are short-circuited (the
 * downstream is not called, the run fails with CIRCUIT_OPEN); after wait_in_open a half-open
 * probe that succeeds closes it again. Its state shows on the breaker's Camel MBean.
 */
class CircuitBreakerIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();

    @TempDir
    Path home;

    @Test
    void opensAfterTheThresholdShortCircuitsAndClosesAfterAHalfOpenProbe() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        AtomicBoolean healthy = new AtomicBoolean(false);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/svc", exchange -> {
            calls.incrementAndGet();
            exchange.sendResponseHeaders(healthy.get() ? 200 : 500, -1);
            exchange.close();
        });
        server.start();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("guarded.yaml"), """
                id: guarded
                nodes:
                  - {id: hook, type: webhook}
                  - id: call
                    type: http
                    config: {url: "http://127.0.0.1:%d/svc"}
                    error_handling:
                      retry: {max_attempts: 1, retry_on: [HTTP_5XX]}
                      circuit_breaker: {failure_rate_threshold: 50, minimum_calls: 2, sliding_window: 2, wait_in_open: 1s, half_open_calls: 1}
                edges: [{from: hook, to: call}]
                """.formatted(server.getAddress().getPort()));
        int port = Ports.free();
        int managementPort = Ports.free();
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home)
                .withProperties(Map.of("caravan.http.port", String.valueOf(port),
                        "caravan.management.port", String.valueOf(managementPort)))).start()) {
            assertThat(code(post(port))).isEqualTo("HTTP_5XX");
            assertThat(code(post(port))).isEqualTo("HTTP_5XX");
            assertThat(calls.get()).isEqualTo(2);
            assertThat(state(runtime)).isEqualTo("OPEN");
            Map<String, String> labels = Map.of("workflow", "guarded", "node", "call");
            assertThat(Scrape.of(managementPort).value("caravan_circuit_breaker_state", labels)).isEqualTo(1.0);

            HttpResponse<String> rejected = post(port);
            assertThat(rejected.statusCode()).isEqualTo(503);
            assertThat(code(rejected)).isEqualTo("CIRCUIT_OPEN");
            assertThat(calls.get()).as("an open breaker does not call the downstream").isEqualTo(2);

            healthy.set(true);
            long deadline = System.currentTimeMillis() + 10_000;
            while (!state(runtime).equals("HALF_OPEN") && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertThat(state(runtime)).isEqualTo("HALF_OPEN");
            assertThat(post(port).statusCode()).isEqualTo(200);
            assertThat(state(runtime)).isEqualTo("CLOSED");
            assertThat(Scrape.of(managementPort).value("caravan_circuit_breaker_state", labels)).isEqualTo(0.0);
            assertThat(calls.get()).isEqualTo(3);
        } finally {
            server.stop(0);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "via compiled YAML: {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aFallbackNodeAnswersInPlaceOfTheFailingNodeAndTheRunCarriesOn(boolean viaYaml) throws Exception {
        int closed = Ports.free();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("cached.yaml"), """
                id: cached
                nodes:
                  - {id: hook, type: webhook}
                  - id: price
                    type: http
                    config: {url: "http://127.0.0.1:%d/price", timeout: 2s}
                    error_handling:
                      circuit_breaker: {minimum_calls: 5, sliding_window: 10, fallback: last-known}
                  - {id: last-known, type: transform, config: {template: '{"amount": 42, "cached": true}'}}
                  - {id: answer, type: transform, config: {template: '{"price": {{price.amount}}, "cached": {{price.cached}}}'}}
                edges: [{from: hook, to: price}, {from: price, to: answer}]
                """.formatted(closed));
        int port = Ports.free();
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.management.port", String.valueOf(Ports.free()),
                "caravan.compile.via-yaml", String.valueOf(viaYaml)))).start()) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/webhooks/cached")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(JSON.readTree(response.body()).get("output"))
                    .isEqualTo(JSON.readTree("{\"price\": 42, \"cached\": true}"));
        }
    }

    private static String state(CaravanRuntime runtime) throws Exception {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        Set<ObjectName> names = mbeans.queryNames(new ObjectName("org.apache.camel:type=processors,name=\"guarded.call.breaker\",*"), null);
        assertThat(names).hasSize(1);
        return String.valueOf(mbeans.getAttribute(names.iterator().next(), "CircuitBreakerState"));
    }

    private static String code(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).at("/error/code").asText();
    }

    private static HttpResponse<String> post(int port) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/guarded"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
