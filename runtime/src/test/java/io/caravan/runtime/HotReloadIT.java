package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --watch}: a changed workflow is swapped in without restarting the process or the other
 * workflows; an invalid change leaves the running version; a deleted file removes its route; a
 * changed hand-written route is reloaded by Camel's watcher without touching the workflows.
 */
class HotReloadIT {

    private static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();

    @TempDir
    Path home;

    static String webhook(String id, String answer) {
        return """
                id: %s
                nodes:
                  - {id: hook, type: webhook}
                  - {id: answer, type: transform, config: {template: '{"answer": "%s"}'}}
                edges: [{from: hook, to: answer}]
                """.formatted(id, answer);
    }

    static String route(String text) {
        return """
                - route:
                    id: greeting
                    from:
                      uri: platform-http:/greeting
                      steps:
                        - setBody:
                            constant: "%s"
                """.formatted(text);
    }

    @Test
    void swapsChangedWorkflowsAndRoutesWithoutTouchingTheOthers() throws Exception {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Path routes = Files.createDirectories(home.resolve("routes"));
        Files.writeString(workflows.resolve("a.yaml"), webhook("a", "v1"));
        Files.writeString(workflows.resolve("b.yaml"), webhook("b", "steady"));
        Files.writeString(routes.resolve("greeting.camel.yaml"), route("hello v1"));
        int port = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.watch", "true",
                "caravan.management.port", String.valueOf(Ports.free())));
        try (CaravanRuntime runtime = CaravanRuntime.create(options).start()) {
            assertThat(post(port, "a")).isEqualTo("200 v1");
            Route b = runtime.context().getRoute("b");
            String aVersion = runtime.deployer().workflow("a").orElseThrow().workflow().version();

            // a valid change is swapped in
            Files.writeString(workflows.resolve("a.yaml"), webhook("a", "v2"));
            await(() -> post(port, "a").equals("200 v2"));
            assertThat(runtime.deployer().workflow("a").orElseThrow().workflow().version()).isNotEqualTo(aVersion);

            // an invalid change leaves v2 running
            Files.writeString(workflows.resolve("a.yaml"), "id: a\nnodes:\n  - {id: hook, type: webhok}\n");
            Thread.sleep(1500); // give the watcher time to see and reject it
            assertThat(post(port, "a")).isEqualTo("200 v2");

            // a new file is deployed, a deleted one removed
            Files.writeString(workflows.resolve("c.json"),
                    "{\"id\": \"c\", \"nodes\": [{\"id\": \"hook\", \"type\": \"webhook\"}], \"edges\": []}");
            await(() -> post(port, "c").startsWith("200 "));
            Files.delete(workflows.resolve("c.json"));
            await(() -> post(port, "c").startsWith("404"));

            // a changed hand-written route is reloaded
            Files.writeString(routes.resolve("greeting.camel.yaml"), route("hello v2"));
            await(() -> get(port, "/greeting").equals("200 hello v2"));

            // b was never restarted: the very same route object still runs
            assertThat(runtime.context().getRoute("b")).isSameAs(b);
            assertThat(post(port, "b")).isEqualTo("200 steady");
        }
    }

    static String post(int port, String workflow) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/" + workflow))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        String answer = r.body().contains("\"answer\"") ? r.body().replaceAll(".*\"answer\":\"([^\"]*)\".*", "$1") : r.body();
        return r.statusCode() + " " + answer;
    }

    static String get(int port, String path) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body();
    }

    static void await(Callable<Boolean> condition) throws Exception {
        Await.until("the condition", Duration.ofSeconds(20), condition);
    }
}
