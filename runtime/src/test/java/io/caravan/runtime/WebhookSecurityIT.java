package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.caravan.runtime.observe.Scrape;
import io.caravan.source.InvalidFileException;
import io.caravan.testing.LogCapture;
import io.caravan.testing.Ports;
import io.caravan.testing.SecretScan;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 5: webhooks took anybody's request. Each kind of auth lets the right caller in
 * and answers the others 401 without running anything; allowed_ips answers 403, max_body 413,
 * malformed JSON 400 with the parser's line and column. The secrets stay in the credentials file.
 */
class WebhookSecurityIT {

    /** GitHub's documented example: this secret signs "Hello, World!" as the signature below. */
    private static final String GITHUB_SECRET = "It's a Secret to Everybody";
    private static final String GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    private static final String API_KEY = "key-" + System.nanoTime();
    private static final String PASSWORD = "pw-" + System.nanoTime();

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static LogCapture logs;
    static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();

    @BeforeAll
    static void start() throws Exception {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), """
                github-hook: {type: webhook_secret, secret: "%s"}
                partner-key: {type: webhook_secret, secret: "%s"}
                billing-login: {type: webhook_secret, username: billing, password: "%s"}
                """.formatted(GITHUB_SECRET, API_KEY, PASSWORD));
        hook(workflows, "signed", "auth: {type: hmac, credential_id: github-hook}");
        hook(workflows, "stamped", "auth: {type: hmac, credential_id: github-hook, header: X-Signature,"
                + " timestamp_header: X-Signature-Timestamp, tolerance: 2m}");
        hook(workflows, "keyed", "auth: {type: api_key, credential_id: partner-key}");
        hook(workflows, "logged-in", "auth: {type: basic, credential_id: billing-login}");
        hook(workflows, "fenced", "allowed_ips: [10.0.0.0/8, 192.0.2.7]");
        hook(workflows, "neighbours", "allowed_ips: [127.0.0.1, '::1']");
        hook(workflows, "small", "max_body: 1KiB");
        hook(workflows, "open", "{}");
        logs = LogCapture.begin();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    private static void hook(Path workflows, String id, String config) throws Exception {
        Files.writeString(workflows.resolve(id + ".yaml"), """
                id: %s
                nodes:
                  - {id: in, type: webhook, config: %s}
                  - {id: echo, type: transform, config: {template: '{"got": {{input}}}'}}
                edges: [{from: in, to: echo}]
                """.formatted(id, config.startsWith("{") ? config : "{" + config + "}"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    private static HttpResponse<String> post(String workflow, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.httpPort()
                + "/webhooks/" + workflow)).POST(HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static double runs(String workflow) throws Exception {
        Double v = Scrape.of(runtime.managementPort()).value("caravan_messages_received_total", Map.of("workflow", workflow));
        return v == null ? 0 : v;
    }

    @Test
    void hmacLetsInGithubsOwnExampleAndRefusesAnyOtherSignatureWithoutRunning() throws Exception {
        HttpResponse<String> ok = post("signed", "Hello, World!", Map.of("Content-Type", "text/plain",
                "X-Hub-Signature-256", GITHUB_SIGNATURE));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        double ran = runs("signed");

        for (Map<String, String> headers : java.util.List.of(
                Map.of("Content-Type", "text/plain", "X-Hub-Signature-256", GITHUB_SIGNATURE.replace('7', '8')),
                Map.of("Content-Type", "text/plain"))) {
            HttpResponse<String> refused = post("signed", "Hello, World!", headers);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.body()).contains("\"status\":\"rejected\"", "UNAUTHORIZED");
        }
        HttpResponse<String> tampered = post("signed", "Hello, World?", Map.of("Content-Type", "text/plain",
                "X-Hub-Signature-256", GITHUB_SIGNATURE));
        assertThat(tampered.statusCode()).isEqualTo(401);
        assertThat(runs("signed")).as("refused requests run nothing").isEqualTo(ran);
    }

    @Test
    void aTimestampedSignatureRefusesAReplay() throws Exception {
        String body = "{\"event\": \"paid\"}";
        long now = System.currentTimeMillis() / 1000;
        HttpResponse<String> fresh = post("stamped", body, Map.of("Content-Type", "application/json",
                "X-Signature-Timestamp", String.valueOf(now), "X-Signature", sign(now + "." + body)));
        assertThat(fresh.statusCode()).as(fresh.body()).isEqualTo(200);
        long old = now - 600;
        HttpResponse<String> replayed = post("stamped", body, Map.of("Content-Type", "application/json",
                "X-Signature-Timestamp", String.valueOf(old), "X-Signature", sign(old + "." + body)));
        assertThat(replayed.statusCode()).isEqualTo(401);
        assertThat(replayed.body()).contains("tolerance");
        HttpResponse<String> unstamped = post("stamped", body, Map.of("Content-Type", "application/json",
                "X-Signature", sign(body)));
        assertThat(unstamped.statusCode()).isEqualTo(401);
    }

    @Test
    void anApiKeyAndBasicAuthenticationLetOnlyTheirOwnersIn() throws Exception {
        assertThat(post("keyed", "{}", Map.of("Content-Type", "application/json", "X-API-Key", API_KEY)).statusCode())
                .isEqualTo(200);
        assertThat(post("keyed", "{}", Map.of("Content-Type", "application/json", "X-API-Key", API_KEY + "x")).statusCode())
                .isEqualTo(401);
        assertThat(post("keyed", "{}", Map.of("Content-Type", "application/json")).statusCode()).isEqualTo(401);

        assertThat(post("logged-in", "{}", Map.of("Content-Type", "application/json", "Authorization",
                basic("billing", PASSWORD))).statusCode()).isEqualTo(200);
        HttpResponse<String> wrong = post("logged-in", "{}", Map.of("Content-Type", "application/json", "Authorization",
                basic("billing", PASSWORD + "!")));
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
    }

    @Test
    void allowedIpsAnswerOthers403() throws Exception {
        HttpResponse<String> outside = post("fenced", "{}", Map.of("Content-Type", "application/json"));
        assertThat(outside.statusCode()).isEqualTo(403);
        assertThat(outside.body()).contains("FORBIDDEN", "allowed_ips");
        assertThat(runs("fenced")).isZero();
        assertThat(post("neighbours", "{}", Map.of("Content-Type", "application/json")).statusCode()).isEqualTo(200);
    }

    @Test
    void aBodyOverMaxBodyIs413AndMalformedJsonIs400WithLineAndColumn() throws Exception {
        HttpResponse<String> big = post("small", "{\"pad\": \"" + "x".repeat(2000) + "\"}", Map.of("Content-Type",
                "application/json"));
        assertThat(big.statusCode()).isEqualTo(413);
        HttpResponse<String> broken = post("open", "{\"amount\": 12,\n \"currency\": }", Map.of("Content-Type",
                "application/json"));
        assertThat(broken.statusCode()).isEqualTo(400);
        assertThat(broken.body()).contains("BAD_PAYLOAD", "invalid JSON at line 2, column");
        assertThat(runs("open")).isZero();
    }

    @Test
    void anOpenWebhookIsSaidAtStartAndNoSecretIsEverShown() throws Exception {
        assertThat(logs.text()).contains("webhook 'open' lets anybody in (auth: none)")
                .doesNotContain("webhook 'signed' lets anybody in");
        post("signed", "x", Map.of("Content-Type", "text/plain", "X-Hub-Signature-256", "sha256=00"));
        post("logged-in", "{}", Map.of("Content-Type", "application/json", "Authorization", basic("billing", "guess")));
        for (String secret : java.util.List.of(GITHUB_SECRET, API_KEY, PASSWORD)) {
            SecretScan.assertNoSecret(secret, "the log", logs.text());
            SecretScan.assertNoSecret(secret, "JMX", SecretScan.jmx());
            SecretScan.assertNoSecret(secret, "/metrics", Scrape.get(runtime.managementPort(), "/metrics").body());
        }
    }

    @Test
    void authWithoutACredentialOrWithTheWrongOneIsAValidationError() throws Exception {
        Path other = Files.createDirectories(home.resolve("broken"));
        Files.writeString(other.resolve("a.yaml"), """
                id: a
                nodes: [{id: in, type: webhook, config: {auth: {type: hmac}, allowed_ips: [10.0.0.0/33]}}]
                """);
        Throwable failure = catchThrowable(() -> WorkflowSet.load(java.util.List.of(other.resolve("a.yaml")),
                WorkflowSet.loadCredentials(RuntimeOptions.defaults(home))));
        assertThat(failure).isInstanceOf(InvalidFileException.class);
        assertThat(failure.getMessage()).contains("auth type hmac needs credential_id")
                .contains("\"10.0.0.0/33\" is not an address or CIDR range");
        Files.writeString(other.resolve("a.yaml"), """
                id: a
                nodes: [{id: in, type: webhook, config: {auth: {type: basic, credential_id: github-hook}}}]
                """);
        failure = catchThrowable(() -> WorkflowSet.load(java.util.List.of(other.resolve("a.yaml")),
                WorkflowSet.loadCredentials(RuntimeOptions.defaults(home))));
        assertThat(failure.getMessage()).contains("auth type basic needs 'username' in credential 'github-hook'")
                .doesNotContain(GITHUB_SECRET);
    }

    private static String sign(String payload) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(GITHUB_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(payload.getBytes(StandardCharsets.UTF_8)));
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, String> headers(String... pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }
}
