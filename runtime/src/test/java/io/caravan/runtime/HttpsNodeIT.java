package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.caravan.testing.Certificates;
import io.caravan.testing.Ports;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 7: the http node calls https:// for real, against a local server with a
 * generated certificate. A node with {@code tls_ca_file} trusts it; a node without does not
 * (the JVM's trust store does not know it) and fails with CONNECTION_FAILED.
 */
class HttpsNodeIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path home;
    static HttpsServer server;
    static CaravanRuntime runtime;

    @BeforeAll
    static void start() throws Exception {
        Certificates certs = Certificates.create(home.resolve("tls"));
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.keyStore())) {
            store.load(in, certs.keyStorePassword().toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, certs.keyStorePassword().toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/hello", exchange -> {
            byte[] body = "{\"greeting\": \"hello over tls\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        String url = "https://localhost:" + server.getAddress().getPort() + "/hello";

        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("trusted.yaml"), """
                id: call-trusted
                nodes:
                  - {id: hook, type: webhook}
                  - {id: call, type: http, config: {url: "%s", tls_ca_file: "%s"}}
                  - {id: out, type: transform, config: {template: "{{call.response.greeting}}"}}
                edges: [{from: hook, to: call}, {from: call, to: out}]
                """.formatted(url, certs.certificate()));
        Files.writeString(workflows.resolve("untrusted.yaml"), """
                id: call-untrusted
                nodes:
                  - {id: hook, type: webhook}
                  - {id: call, type: http, config: {url: "%s"}}
                edges: [{from: hook, to: call}]
                """.formatted(url));
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aNodeTrustingTheServersCertificateCallsIt() throws Exception {
        HttpResponse<String> response = post("call-trusted");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("hello over tls");
    }

    @Test
    void aNodeThatDoesNotTrustItFailsWithConnectionFailed() throws Exception {
        HttpResponse<String> response = post("call-untrusted");
        JsonNode error = JSON.readTree(response.body()).get("error");
        assertThat(error.get("code").asText()).as(response.body()).isEqualTo("CONNECTION_FAILED");
        assertThat(error.get("message").asText()).as(response.body()).contains("unable to find valid certification path");
    }

    private static HttpResponse<String> post(String workflow) throws Exception {
        return io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
    }
}
