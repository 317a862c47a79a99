package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sagas: reserve -> charge -> ship, where reserve and charge name their compensations (release,
 * refund). When ship fails, refund then release run, in that order, with the run's context
 * ({@code {{charge.response.id}}}, {@code {{error.code}}}), before the failure is answered or
 * dead-lettered; a compensation that fails is reported in the dead letter, and the others run.
 */
class SagaIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    static HttpServer shop;
    static final List<String> calls = new CopyOnWriteArrayList<>();
    static CaravanRuntime runtime;
    static int port;
    static final String QUEUE = TestBrokers.unique("saga-orders");

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        shop = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        shop.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath().substring(1);
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            calls.add(path + " " + body);
            boolean fails = path.equals("ship") || (path.equals("release") && body.contains("broken"));
            byte[] answer = (fails ? "{\"error\": \"down\"}" : "{\"id\": \"" + path + "-1\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(fails ? 500 : 200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        shop.start();
        String url = "http://127.0.0.1:" + shop.getAddress().getPort();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        String nodes = """
                  - {id: reserve, type: http, compensate: release, config: {method: POST, url: "%1$s/reserve", body: '{"order": "{{input.id}}"}'}}
                  - {id: charge, type: http, compensate: refund, config: {method: POST, url: "%1$s/charge", body: '{"order": "{{input.id}}"}'}}
                  - {id: ship, type: http, config: {method: POST, url: "%1$s/ship", body: '{"order": "{{input.id}}"}'},
                     error_handling: {retry: {max_attempts: 2, initial_delay: 10ms, retry_on: [HTTP_5XX]}}}
                  - {id: release, type: http, error_handling: {retry: {max_attempts: 2, initial_delay: 10ms, retry_on: [HTTP_5XX]}}, config: {method: POST, url: "%1$s/release", body: '{"order": "{{input.id}}", "reservation": "{{reserve.response.id}}", "because": "{{error.code}} in {{error.node}}"}'}}
                  - {id: refund, type: http, config: {method: POST, url: "%1$s/refund", body: '{"charge": "{{charge.response.id}}", "because": "{{error.code}}"}'}}
                edges: [{from: in, to: reserve}, {from: reserve, to: charge}, {from: charge, to: ship}]
                """.formatted(url);
        Files.writeString(workflows.resolve("checkout.yaml"), "id: checkout\nnodes:\n  - {id: in, type: webhook}\n" + nodes);
        Files.writeString(workflows.resolve("checkout-queue.yaml"), """
                id: checkout-queue
                error_handling:
                  dead_letter: {queue_type: rabbitmq, destination: %s.dlq, credential_id: rabbit}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, source: %s, credential_id: rabbit}}
                """.formatted(QUEUE, QUEUE) + nodes);
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "rabbit: {type: queue_rabbitmq, url: \"" + TestBrokers.RABBITMQ_URL + "\"}\n");
        port = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        shop.stop(0);
    }

    @Test
    void aFailedThirdStepRunsTheFirstTwoCompensationsInReverseBeforeTheRunFails() throws Exception {
        calls.clear();
        HttpResponse<String> response = HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/webhooks/checkout"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"id\": \"o-1\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(response.body());
        assertThat(answer.at("/error/code").asText()).isEqualTo("HTTP_5XX");
        assertThat(answer.at("/error/node").asText()).isEqualTo("ship");
        assertThat(calls).extracting(c -> c.substring(0, c.indexOf(' ')))
                .as("compensations ran, newest first, before the caller got its answer")
                .containsExactly("reserve", "charge", "ship", "ship", "refund", "release");
        assertThat(calls.get(4)).contains("\"charge\": \"charge-1\"", "\"because\": \"HTTP_5XX\"");
        assertThat(calls.get(5)).contains("\"reservation\": \"reserve-1\"", "HTTP_5XX in ship");
    }

    @Test
    void aCompensationThatFailsIsReportedInTheDeadLetterAndTheOthersStillRun() throws Exception {
        calls.clear();
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(TestBrokers.RABBITMQ_URL);
        try (Connection connection = factory.newConnection(); Channel ch = connection.createChannel()) {
            ch.queueDeclare(QUEUE + ".dlq", true, false, false, null);
            ch.basicPublish("", QUEUE, null, "{\"id\": \"broken\"}".getBytes(StandardCharsets.UTF_8));
            GetResponse[] letter = new GetResponse[1];
            Await.until("the dead letter", Duration.ofSeconds(20), () -> (letter[0] = ch.basicGet(QUEUE + ".dlq", true)) != null);
            Map<String, Object> headers = letter[0].getProps().getHeaders();
            assertThat(String.valueOf(headers.get("caravan-error-code"))).isEqualTo("HTTP_5XX");
            assertThat(String.valueOf(headers.get("caravan-compensation-failed"))).startsWith("release (for reserve): ");
            assertThat(new String(letter[0].getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"id\": \"broken\"}");
            assertThat(calls).extracting(c -> c.substring(0, c.indexOf(' ')))
                    .containsExactly("reserve", "charge", "ship", "ship", "refund", "release");
            ch.queueDelete(QUEUE + ".dlq");
            ch.queueDelete(QUEUE);
        }
    }
}
