package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.testing.Ports;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: route files from the Apache Camel project's own examples (camel-jbang-examples,
 * under src/test/resources/camel-examples with where each came from) run under Caravan as they
 * run under {@code camel run}. Before the Camel core shipped, the REST DSL failed at start with
 * "No endpoint could be found for: rest://get:/api..." and {@code seda:} the same way.
 */
class CamelExampleRoutesIT {

    @TempDir
    Path home;

    @Test
    void theRestDslExampleAnswersOnThePlatformHttpServer() throws Exception {
        // as a newcomer does: the example's route file and its application.properties into routes/
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        copy("rest-api.application.properties", "routes/application.properties");
        try (CaravanRuntime runtime = start()) {
            String base = "http://127.0.0.1:" + runtime.httpPort();
            HttpResponse<String> hello = get(base + "/api/hello");
            assertThat(hello.statusCode()).isEqualTo(200);
            // {{greeting.message}} comes from the application.properties beside the route
            assertThat(hello.body()).isEqualTo("Hello from Camel REST API!");
            HttpResponse<String> named = get(base + "/api/hello/World");
            assertThat(named.statusCode()).isEqualTo(200);
            assertThat(named.body()).isEqualTo("Hello World from Camel REST API!");
            assertThat(get(base + "/api/nothing-here").statusCode()).isEqualTo(404);
        }
    }

    @Test
    void restConfigurationServesTheOpenApiDocumentWhenAsked() throws Exception {
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        copy("rest-api.application.properties", "routes/application.properties");
        Files.writeString(home.resolve("routes/rest-config.camel.yaml"), """
                - restConfiguration:
                    apiContextPath: /api-doc
                """);
        try (CaravanRuntime runtime = start()) {
            HttpResponse<String> doc = get("http://127.0.0.1:" + runtime.httpPort() + "/api-doc");
            assertThat(doc.statusCode()).isEqualTo(200);
            assertThat(doc.body()).contains("\"openapi\"").contains("/api/hello/{name}");
        }
    }

    @Test
    void aRouteIdUsedTwiceIsAnErrorAtStartNotASilentReplacement() throws Exception {
        // seen in a newcomer run: the example's route `hello` silently replaced the repository's own
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        copy("rest-api.application.properties", "routes/application.properties");
        Files.writeString(home.resolve("routes/hello.camel.yaml"), """
                - route:
                    id: hello
                    from:
                      uri: platform-http:/hello
                      steps:
                        - setBody: {constant: hi}
                """);
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> start().close());
        assertThat(refused).isInstanceOf(io.caravan.source.InvalidFileException.class);
        // whichever file Caravan reads second is the one reported, with the first one's place
        assertThat(refused.getMessage()).containsPattern("routes/(hello|rest-api)\\.camel\\.yaml:\\d+:\\d+: error: route id 'hello'"
                + " is already the id of the route at .*routes/(hello|rest-api)\\.camel\\.yaml:\\d+");
    }

    @Test
    void aRouteThatCannotStartIsReportedAndTheOtherRoutesAndWorkflowsRun() throws Exception {
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        copy("rest-api.application.properties", "routes/application.properties");
        copy("/runtime/echo.json", "workflows/echo.json");
        // one file, three routes: the first and the last are fine, the middle one names a
        // component Caravan does not ship; a second file is not YAML at all
        Files.writeString(home.resolve("routes/mixed.camel.yaml"), """
                - route:
                    id: fine-before
                    from:
                      uri: timer:before?repeatCount=1
                      steps:
                        - to: seda:before
                - route:
                    id: needs-slack
                    from:
                      uri: timer:slack?repeatCount=1
                      steps:
                        - to: slack:#general
                - route:
                    id: fine-after
                    from:
                      uri: seda:before
                      steps:
                        - log: after
                """);
        Files.writeString(home.resolve("routes/typo.camel.yaml"), route("typo", "timmer:tick"));
        Files.writeString(home.resolve("routes/garbled.camel.yaml"), "- route: [unclosed\n");
        // YAML, but not a list: Camel's loader reads it as nothing, without a word
        Files.writeString(home.resolve("routes/map.camel.yaml"), "route:\n  from: {uri: timer:x, steps: []}\n");
        try (CaravanRuntime runtime = start()) {
            String base = "http://127.0.0.1:" + runtime.httpPort();
            assertThat(get(base + "/api/hello").body()).isEqualTo("Hello from Camel REST API!");
            // the workflow beside them runs too
            HttpResponse<String> echo = io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                            URI.create(base + "/webhooks/echo")).header("Content-Type", "application/json")
                            .header("x-note", "n")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"still here\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(echo.statusCode()).isEqualTo(200);
            assertThat(runtime.context().getRouteController().getRouteStatus("fine-before").isStarted()).isTrue();
            assertThat(runtime.context().getRouteController().getRouteStatus("fine-after").isStarted()).isTrue();
            assertThat(runtime.context().getRoute("needs-slack")).isNull();

            List<String> failed = runtime.failedRoutes().stream().map(RouteFiles.Failure::describe).toList();
            assertThat(failed).hasSize(4);
            assertThat(failed).anySatisfy(f -> assertThat(f).startsWith("route file (").contains("map.camel.yaml:1:1) did not start:"
                    + " a Camel YAML route file is a list (- route: ..., - from: ..., - rest: ...), got an object"));
            assertThat(failed).anySatisfy(f -> assertThat(f).startsWith("route 'needs-slack' (")
                    .contains("mixed.camel.yaml:10) did not start: the Camel component 'slack' is not in Caravan: add"
                            + " org.apache.camel:camel-slack (caravan run --dep org.apache.camel:camel-slack"));
            assertThat(failed).anySatisfy(f -> assertThat(f).startsWith("route 'typo' (")
                    .contains("no Camel component has the scheme 'timmer'"));
            assertThat(failed).anySatisfy(f -> assertThat(f).startsWith("route file (").contains("garbled.camel.yaml:2:1) did not"
                    + " start: YAML: while parsing a flow sequence: expected ',' or ']', but got <stream end>"));

            // /ready names them; JMX lists them
            HttpResponse<String> ready = get("http://127.0.0.1:" + runtime.managementPort() + "/ready");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("caravan-routes").contains("route 'needs-slack'").contains("route 'typo'");
            MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = jmx.queryNames(new ObjectName("io.caravan:type=RouteFiles,*"), null);
            ObjectName mine = names.stream().filter(n -> {
                try {
                    return ((String[]) jmx.getAttribute(n, "FailedRoutes")).length == 4
                            && String.join("\n", (String[]) jmx.getAttribute(n, "FailedRoutes")).contains(home.toString());
                } catch (Exception e) {
                    return false;
                }
            }).findFirst().orElseThrow(() -> new AssertionError("no RouteFiles MBean of this runtime among " + names));
            assertThat(jmx.getAttribute(mine, "FailedRouteCount")).isEqualTo(4);
        }
    }

    @Test
    void aRouteFileThatBreaksWhileRunningIsReportedAndAFixBringsItBack() throws Exception {
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        copy("rest-api.application.properties", "routes/application.properties");
        Path late = home.resolve("routes/late.camel.yaml");
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.watch", "true",
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            String ready = "http://127.0.0.1:" + runtime.managementPort() + "/ready";
            Files.writeString(late, route("late", "timmer:tick"));
            await(() -> !runtime.failedRoutes().isEmpty());
            assertThat(runtime.failedRoutes()).singleElement().satisfies(f -> assertThat(f.describe())
                    .startsWith("route 'late' (").contains("no Camel component has the scheme 'timmer'"));
            assertThat(get(ready).body()).contains("route 'late'");
            assertThat(get("http://127.0.0.1:" + runtime.httpPort() + "/api/hello").statusCode()).isEqualTo(200);

            // not YAML any more: reported, and nothing else changes
            Files.writeString(late, "- route: [unclosed\n");
            await(() -> runtime.failedRoutes().stream().anyMatch(f -> f.describe().contains("YAML")));

            Files.writeString(late, route("late", "timer:tick?period=50"));
            await(() -> runtime.failedRoutes().isEmpty() && runtime.context().getRoute("late") != null);
            assertThat(runtime.context().getRouteController().getRouteStatus("late").isStarted()).isTrue();
            await(() -> get(ready).statusCode() == 200);

            Files.delete(late);
            await(() -> runtime.context().getRoute("late") == null);
            assertThat(runtime.context().getRoute("hello")).isNotNull();
        }
    }

    private static String route(String id, String from) {
        return """
                - route:
                    id: %s
                    from:
                      uri: "%s"
                      steps:
                        - log: tick
                """.formatted(id, from);
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.call()) {
            assertThat(System.nanoTime()).as("waited 20 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void strictStopsTheStartWhenARouteCannotStart() throws Exception {
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        copy("rest-api.application.properties", "routes/application.properties");
        Files.writeString(home.resolve("routes/typo.camel.yaml"), route("typo", "timmer:tick"));
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> CaravanRuntime.create(
                RuntimeOptions.defaults(home).withProperties(Map.of("caravan.strict", "true",
                        "caravan.http.port", String.valueOf(Ports.free()),
                        "caravan.management.port", String.valueOf(Ports.free())))).start().close());
        assertThat(refused).hasStackTraceContaining("timmer");
    }

    @Test
    void theServerPortOfACamelJBangExampleIsUsedAndItsOtherSettingsAreNamed() throws Exception {
        int port = Ports.free();
        copy("rest-api.camel.yaml", "routes/rest-api.camel.yaml");
        Files.writeString(home.resolve("routes/application.properties"), """
                camel.server.port=%d
                greeting.message=Hi
                camel.jbang.camel-version=4.17.0
                camel.jbang.health=true
                camel.jbang.no-such-thing=1
                """.formatted(port));
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            assertThat(runtime.httpPort()).isEqualTo(port);
            assertThat(get("http://127.0.0.1:" + port + "/api/hello").body()).isEqualTo("Hi");
            assertThat(runtime.settingsWarnings()).containsExactly(
                    "camel.jbang.camel-version is a Camel JBang setting Caravan does not support (The version of Apache"
                            + " Camel to use); ignored",
                    "camel.jbang.health has no effect in Caravan: Caravan always serves /health and /ready on the"
                            + " management port (caravan.management.port)",
                    "camel.jbang.no-such-thing is not a Camel JBang setting (see `camel.jbang` in Camel's catalog); ignored");
        }
    }

    @Test
    void theXsltExampleRunsUnderBinCaravanWhichFetchesTheXsltComponent() throws Exception {
        // as a newcomer does with the Camel JBang xslt example: its route and stylesheet into
        // routes/, its input/ folder into the Caravan home, then `caravan dev`-style on-demand
        // components (camel-xslt is not in Caravan; the build put it in the local Maven repository)
        copy("xslt/consumer.camel.yaml", "routes/consumer.camel.yaml");
        copy("xslt/stylesheet.xsl", "routes/stylesheet.xsl");
        copy("xslt/account.xml", "input/account.xml");
        Path log = home.resolve("caravan.log");
        Process caravan = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcaravan.home=" + home, "-jar", Path.of("runtime/target/caravan.jar").toAbsolutePath().toString(),
                "run", "--port", String.valueOf(Ports.free()), "-D", "caravan.management.port=" + Ports.free(),
                "-D", "caravan.dependencies.auto=true")
                .directory(home.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String out = "";
            while (!out.contains("</bank>") && caravan.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(200);
                out = Files.readString(log);
            }
            assertThat(out).as(out).contains("added org.apache.camel:camel-xslt:4.17.0 to the class path")
                    .doesNotContain("did not start");
            // the stylesheet beside the route made <bank> of the <hash> in input/account.xml
            assertThat(out.substring(out.indexOf("Transformed data:"))).containsPattern(
                    "<bank>\\s*<name>\\s*ABN AMRO MEZZANINE \\(UK\\) LIMITED\\s*</name>\\s*<bic>\\s*AACCGB21\\s*</bic>\\s*</bank>");
        } finally {
            caravan.destroy();
            caravan.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    @Test
    void theSedaExampleMovesMessagesFromTimersThroughSedaQueues() throws Exception {
        copy("orders.camel.yaml", "routes/orders.camel.yaml");
        try (CaravanRuntime runtime = start()) {
            ManagedCamelContext managed = runtime.context().getCamelContextExtension()
                    .getContextPlugin(ManagedCamelContext.class);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            // the small producer fires every 2 s, the first time at once
            while (completed(managed, "process-small") < 2 && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertThat(completed(managed, "process-small")).as("exchanges through seda:small").isGreaterThanOrEqualTo(2);
            assertThat(completed(managed, "process-medium")).as("exchanges through seda:medium").isGreaterThanOrEqualTo(1);
            assertThat(completed(managed, "small-producer")).isGreaterThanOrEqualTo(2);
        }
    }

    private static long completed(ManagedCamelContext managed, String routeId) {
        ManagedRouteMBean route = managed.getManagedRoute(routeId);
        assertThat(route).as("route " + routeId).isNotNull();
        return route.getExchangesCompleted();
    }

    private void copy(String resource, String to) throws Exception {
        Path target = home.resolve(to);
        Files.createDirectories(target.getParent());
        try (InputStream in = CamelExampleRoutesIT.class.getResourceAsStream(
                resource.startsWith("/") ? resource : "/camel-examples/" + resource)) {
            assertThat(in).as(resource).isNotNull();
            Files.copy(in, target);
        }
    }

    private CaravanRuntime start() throws Exception {
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
