package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.caravan.testing.Ports;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10: a Gorax export with a control:if on an action:http's answer runs as it is: the file
 * dropped in workflows/, the webhook called, the branch the condition picks calls its endpoint with
 * a body built from the lookup's answer.
 */
class GoraxWorkflowIT {

    @TempDir
    Path home;

    private HttpServer api;
    private final List<String> calls = new CopyOnWriteArrayList<>();

    @BeforeEach
    void api() throws Exception {
        api = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        Map<String, String> users = Map.of("/users/42", "{\"status\": \"active\", \"email\": \"ada@example.com\"}",
                "/users/7", "{\"status\": \"inactive\", \"email\": \"bob@example.com\"}");
        api.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String answer = users.getOrDefault(path, "{}");
            if (!path.startsWith("/users/")) {
                calls.add(exchange.getRequestMethod() + " " + path + " " + body);
            }
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(users.containsKey(path) || !path.startsWith("/users/") ? 200 : 404, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        api.start();
    }

    @AfterEach
    void stop() {
        api.stop(0);
    }

    @Test
    void aGoraxExportWithAnIfOnAnHttpAnswerRunsUnchanged() throws Exception {
        String base = "http://127.0.0.1:" + api.getAddress().getPort();
        Files.createDirectories(home.resolve("workflows"));
        Files.writeString(home.resolve("workflows/user-check.json"), """
                {
                  "name": "User check",
                  "definition": {
                    "nodes": [
                      {"id": "trigger-webhook", "type": "trigger:webhook", "position": {"x": 250, "y": 50},
                       "data": {"name": "Webhook Trigger", "config": {"path": "/webhook/user-check"}}},
                      {"id": "fetch-user", "type": "action:http", "position": {"x": 250, "y": 150},
                       "data": {"name": "Fetch User", "config": {"method": "GET", "url": "%1$s/users/{{trigger.body.user_id}}", "timeout": 5}}},
                      {"id": "is-active", "type": "control:if", "position": {"x": 250, "y": 280},
                       "data": {"name": "Active?", "config": {"condition": "steps.fetch-user.status_code == 200 && steps.fetch-user.body.status === \\"active\\""}}},
                      {"id": "welcome", "type": "action:http", "position": {"x": 400, "y": 410},
                       "data": {"name": "Welcome", "config": {"method": "POST", "url": "%1$s/welcome", "body": {"email": "{{steps.fetch-user.body.email}}"}}}},
                      {"id": "reactivate", "type": "action:http", "position": {"x": 100, "y": 410},
                       "data": {"name": "Reactivate", "config": {"method": "POST", "url": "%1$s/reactivate", "body": {"email": "{{steps.fetch-user.body.email}}"}}}}
                    ],
                    "edges": [
                      {"id": "e1", "source": "trigger-webhook", "target": "fetch-user"},
                      {"id": "e2", "source": "fetch-user", "target": "is-active"},
                      {"id": "e3", "source": "is-active", "target": "welcome", "sourceHandle": "true", "label": "true"},
                      {"id": "e4", "source": "is-active", "target": "reactivate", "sourceHandle": "false", "label": "false"}
                    ]
                  }
                }
                """.formatted(base));
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            // no id in the export: the file name gives it
            String hook = "http://127.0.0.1:" + runtime.httpPort() + "/webhooks/user-check";
            HttpResponse<String> active = post(hook, "{\"user_id\": 42}");
            assertThat(active.statusCode()).as(active.body()).isEqualTo(200);
            assertThat(active.body()).contains("\"status\":\"completed\"");
            HttpResponse<String> inactive = post(hook, "{\"user_id\": 7}");
            assertThat(inactive.statusCode()).as(inactive.body()).isEqualTo(200);
            assertThat(calls).containsExactly("POST /welcome {\"email\":\"ada@example.com\"}",
                    "POST /reactivate {\"email\":\"bob@example.com\"}");
        }
    }

    private static HttpResponse<String> post(String url, String body) throws Exception {
        return io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
