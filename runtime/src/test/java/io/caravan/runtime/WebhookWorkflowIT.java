package io.caravan.runtime;

import io.caravan.testing.Ports;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Webhook workflows run in Caravan's runtime, once from the compiled route model and once from
 * the YAML that {@code caravan compile} prints: both must answer the same.
 */
class WebhookWorkflowIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();

    @TempDir
    static Path home;
    static HttpServer customers;
    static final List<String> customerRequests = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void setUp() throws IOException {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        for (String name : List.of("route-order.yaml", "echo.json")) {
            try (var in = WebhookWorkflowIT.class.getResourceAsStream("/runtime/" + name)) {
                Files.copy(in, workflows.resolve(name));
            }
        }
        customers = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        customers.createContext("/customers", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            customerRequests.add(exchange.getRequestHeaders().getFirst("X-Order") + " " + body);
            JsonNode req = JSON.readTree(body);
            boolean known = req.get("customer").asText().equals("ada");
            byte[] answer = (known ? "{\"name\": \"Ada\", \"tier\": \"gold\"}" : "{\"error\": \"unknown\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(known ? 200 : 404, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        customers.start();
    }

    @AfterAll
    static void tearDown() {
        customers.stop(0);
    }

    @ParameterizedTest(name = "via compiled YAML: {0}")
    @ValueSource(booleans = {false, true})
    void runsTheWorkflowsTheSameFromTheModelAndFromThePrintedYaml(boolean viaYaml) throws Exception {
        int port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port),
                "caravan.management.port", String.valueOf(Ports.free()),
                "caravan.compile.via-yaml", String.valueOf(viaYaml)));
        try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
            String service = "http://127.0.0.1:" + customers.getAddress().getPort();

            // a gold customer takes the vip branch, and the log node after it runs
            HttpResponse<String> vip = post(port, "route-order", """
                    {"service": "%s", "order": {"id": "o-1", "customer": "ada", "items": [{"sku": "A-1"}, {"sku": "B-2"}]}}
                    """.formatted(service));
            assertThat(vip.statusCode()).isEqualTo(200);
            JsonNode vipBody = JSON.readTree(vip.body());
            assertThat(vipBody.get("status").asText()).isEqualTo("completed");
            assertThat(vipBody.get("execution_id").asText()).isNotBlank();
            assertThat(vipBody.get("output")).isEqualTo(JSON.readTree("{\"message\": \"order o-1 routed\"}"));
            assertThat(customerRequests).contains("o-1 {\"customer\": \"ada\", \"items\": [{\"sku\":\"A-1\"},{\"sku\":\"B-2\"}]}");

            // an unknown customer: the http node's 404 is an output, the false branch runs
            HttpResponse<String> standard = post(port, "route-order", """
                    {"service": "%s", "order": {"id": "o-2", "customer": "bob", "items": []}}
                    """.formatted(service));
            assertThat(standard.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(standard.body()).get("output"))
                    .isEqualTo(JSON.readTree("{\"lane\": \"standard\", \"status\": 404}"));

            // a missing value is a clear failure naming node and path
            HttpResponse<String> missing = post(port, "route-order", "{\"service\": \"" + service + "\"}");
            assertThat(missing.statusCode()).isEqualTo(422);
            JsonNode failed = JSON.readTree(missing.body());
            assertThat(failed.get("status").asText()).isEqualTo("failed");
            assertThat(failed.at("/error/code").asText()).isEqualTo("TEMPLATE_VALUE_MISSING");
            assertThat(failed.at("/error/node").asText()).isEqualTo("lookup");
            assertThat(failed.at("/error/message").asText()).contains("input.order.id");

            // a JSON body sent as a form (what `curl -d` does without a Content-Type) gets a clear 400
            HttpResponse<String> misSent = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/echo"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"hi\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(misSent.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(misSent.body()).at("/error/message").asText()).contains("Content-Type: application/json");
            // a real form post: its fields are the input
            HttpResponse<String> form = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/echo"))
                    .header("Content-Type", "application/x-www-form-urlencoded").header("X-Note", "form")
                    .POST(HttpRequest.BodyPublishers.ofString("text=a%26b&other=1")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(JSON.readTree(form.body()).at("/output/said").asText()).as(form.body()).isEqualTo("a&b");

            // hostile text stays data: quotes, braces, placeholders and template syntax come back escaped
            String hostile = "\"}, \"x\": 1, {{input.text}} ${sys:user.home} {{caravan.http.port}}\n";
            HttpResponse<String> echo = post(port, "echo", JSON.writeValueAsString(Map.of("text", hostile)),
                    "X-Note", "note\" <b>");
            assertThat(echo.statusCode()).isEqualTo(200);
            JsonNode output = JSON.readTree(echo.body()).get("output");
            assertThat(output.get("said").asText()).isEqualTo(hostile);
            assertThat(output.get("header").asText()).isEqualTo("note\" <b>");
            assertThat(output.size()).isEqualTo(2);
        }
    }

    @Test
    void webhooksTakeOnlyPost() throws Exception {
        int port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of("caravan.http.port", String.valueOf(port),
                        "caravan.management.port", String.valueOf(Ports.free())));
        try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/webhooks/echo")).GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(405);
        }
    }

    static HttpResponse<String> post(int port, String workflow, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
