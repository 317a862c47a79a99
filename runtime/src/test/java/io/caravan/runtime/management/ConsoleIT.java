package io.caravan.runtime.management;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's headless Chromium through chromedriver. It loads
 * /console, sees the workflow drawn, sees the trigger's count change after a message, finds a
 * poison message in the dead letters, redrives it, and sees it run again (and fail, and come
 * back). Screenshots go to runtime/target/console/. Skips loudly without chromedriver unless
 * CARAVAN_REQUIRE_BROWSER=true, as .ci/run sets after installing it.
 */
class ConsoleIT {

    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";
    private static final Path SHOTS = Path.of("runtime/target/console");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static int management;
    static final String SOURCE = TestBrokers.unique("console-orders");

    static void requireBrowser() {
        if (new File(CHROMEDRIVER).canExecute()) {
            return;
        }
        String message = "no " + CHROMEDRIVER + " (Debian: apt-get install chromium chromium-driver): the console's browser test cannot run";
        if ("true".equalsIgnoreCase(System.getenv("CARAVAN_REQUIRE_BROWSER"))) {
            Assertions.fail(message + " and CARAVAN_REQUIRE_BROWSER=true");
        }
        System.err.println("\n*** SKIPPED: " + message + ". Set CARAVAN_REQUIRE_BROWSER=true to make this a failure. ***\n");
        Assumptions.abort(message);
    }

    @BeforeAll
    static void start() throws Exception {
        requireBrowser();
        TestBrokers.sqs().createQueue(SOURCE);
        TestBrokers.sqs().createQueue(SOURCE + "-dlq");
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("orders.yaml"), """
                id: console-orders
                name: Orders, shaped
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %s, credential_id: sqs, wait_time: 1s}}
                  - {id: shape, type: transform, config: {template: '{"order": "{{input.order_id}}"}'}}
                  - {id: note, type: log, config: {message: "order {{shape}}"}}
                edges: [{from: in, to: shape}, {from: shape, to: note}]
                """.formatted(SOURCE));
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: \"%s\", access_key_id: x, secret_access_key: x}\n"
                .formatted(TestBrokers.sqs().endpoint()));
        management = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()), "caravan.management.port", String.valueOf(management)))).start();
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
    }

    private static void send(String body) {
        String uri = Bindings.forQueueType("sqs").orElseThrow().producerUri(new Channel("console-orders", "test", "sqs", SOURCE, null));
        assertThat(runtime.context().createProducerTemplate().send(uri, e -> e.getIn().setBody(body)).getException()).isNull();
    }

    private static WebDriver browser() {
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER))
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        if (new File("/usr/lib/chromium/chromium").canExecute()) {
            options.setBinary("/usr/lib/chromium/chromium");
        }
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000");
        return new ChromeDriver(service, options);
    }

    private static void shot(WebDriver driver, String name) throws Exception {
        Files.write(SHOTS.resolve(name + ".png"), ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    private static String attribute(WebDriver driver, String css, String name) {
        var found = driver.findElements(By.cssSelector(css));
        return found.isEmpty() ? null : found.get(0).getAttribute(name);
    }

    @Test
    void theGraphCountsAMessageAndADeadLetterIsRedrivenFromThePage() throws Exception {
        WebDriver driver = browser();
        try {
            WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
            driver.get("http://127.0.0.1:" + management + "/console");
            wait.until(d -> !d.findElements(By.cssSelector("#graph-console-orders #node-console-orders-shape")).isEmpty());
            assertThat(driver.findElement(By.id("state-console-orders")).getText()).isEqualTo("Started");
            assertThat(driver.findElements(By.cssSelector("#graph-console-orders g.node"))).hasSize(3);
            assertThat(driver.findElements(By.cssSelector("#graph-console-orders line"))).hasSize(2);
            String before = attribute(driver, "#node-console-orders-in", "data-received");
            shot(driver, "1-loaded");

            send("{\"order_id\": \"o-1\"}");
            wait.until(d -> "1".equals(attribute(d, "#node-console-orders-in", "data-received")));
            assertThat(before).isEqualTo("0");
            shot(driver, "2-counted");

            // markup in a message is shown as text, never run or rendered
            send("<b id=\"injected\">not an order</b>");
            wait.until(d -> "1".equals(attribute(d, "#node-console-orders-shape", "data-failed")));
            WebElement row = wait.until(d -> d.findElements(By.cssSelector("#dead-letters tr")).stream()
                    .filter(r -> r.getText().contains(SOURCE + "-dlq") && r.findElement(By.cssSelector(".count")).getText().equals("1"))
                    .findFirst().orElse(null));
            row.findElement(By.tagName("button")).click();
            WebElement message = wait.until(d -> d.findElements(By.cssSelector("#messages tr.message")).stream().findFirst().orElse(null));
            assertThat(message.getText()).contains("<b id=\"injected\">not an order</b>", "caravan-error-code: TEMPLATE_VALUE_MISSING");
            assertThat(driver.findElements(By.id("injected"))).as("markup from a message").isEmpty();
            shot(driver, "3-dead-letter");

            message.findElement(By.cssSelector("input.pick")).click();
            driver.findElement(By.id("redrive-selected")).click();
            wait.until(d -> d.findElement(By.id("browser-result")).getText().startsWith("moved 1 to sqs " + SOURCE));
            // processed again: the trigger counts it, it fails again in shape, and it is a dead letter again
            wait.until(d -> "3".equals(attribute(d, "#node-console-orders-in", "data-received"))
                    && "2".equals(attribute(d, "#node-console-orders-shape", "data-failed")));
            driver.findElement(By.id("browser-refresh")).click();
            wait.until(d -> d.findElements(By.cssSelector("#messages tr.message")).size() == 1
                    && d.findElement(By.cssSelector("#messages tr.message")).getText().contains("not an order"));
            shot(driver, "4-redriven");
            System.out.println("CONSOLE screenshots in " + SHOTS.toAbsolutePath());
        } finally {
            driver.quit();
        }
    }

    @Test
    void anActionWithoutTheConsoleHeaderIsRefused() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + management + "/console/api/workflows/console-orders/stop"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(runtime.context().getRouteController().getRouteStatus("console-orders").isStarted()).isTrue();
    }
}
