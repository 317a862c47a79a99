package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.caravan.testing.Ports;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 6: every listener bound to every interface. `run` keeps the webhook port on all
 * interfaces (it is meant to be reached) and puts the management port (metrics, health, Jolokia)
 * on 127.0.0.1; `dev` puts both on 127.0.0.1; Jolokia on another address needs a login.
 */
class ListenersIT {

    /** An address of this machine other than loopback, which a listener on 127.0.0.1 does not answer. */
    static String external;

    @TempDir
    Path home;

    @BeforeAll
    static void externalAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                        external = a.getHostAddress();
                    }
                }
            }
        }
        Assumptions.assumeTrue(external != null, "this machine has no address but loopback");
    }

    @Test
    void runListensForWebhooksEverywhereAndForManagementOnLoopbackOnly() throws Exception {
        try (CaravanRuntime runtime = start(Map.of())) {
            assertThat(Ports.answers(external, runtime.httpPort())).as("webhooks on " + external).isTrue();
            assertThat(Ports.answers("127.0.0.1", runtime.managementPort())).as("management on loopback").isTrue();
            assertThat(Ports.answers(external, runtime.managementPort())).as("management on " + external).isFalse();
        }
    }

    @Test
    void devListensOnLoopbackOnly() throws Exception {
        // what `caravan dev` sets unless told otherwise
        try (CaravanRuntime runtime = start(Map.of("caravan.http.host", "127.0.0.1"))) {
            assertThat(Ports.answers("127.0.0.1", runtime.httpPort())).isTrue();
            assertThat(Ports.answers(external, runtime.httpPort())).as("webhooks on " + external).isFalse();
            assertThat(Ports.answers(external, runtime.managementPort())).as("management on " + external).isFalse();
        }
    }

    @Test
    void jolokiaOffLoopbackNeedsALogin() throws Exception {
        Throwable refused = catchThrowable(() -> start(Map.of("caravan.jolokia.enabled", "true",
                "caravan.management.host", "0.0.0.0")).close());
        assertThat(refused).hasMessageContaining("caravan.jolokia.user").hasMessageContaining("caravan.jolokia.password");

        String password = "pw-" + System.nanoTime();
        try (CaravanRuntime runtime = start(Map.of("caravan.jolokia.enabled", "true", "caravan.management.host", "0.0.0.0",
                "caravan.jolokia.user", "ops", "caravan.jolokia.password", password))) {
            String url = "http://" + external + ":" + runtime.managementPort() + "/observe/jolokia/version";
            HttpClient client = io.caravan.testing.HttpClients.http11();
            HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            String basic = Base64.getEncoder().encodeToString(("ops:" + password).getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> ops = client.send(HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Basic " + basic).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ops.statusCode()).as(ops.body()).isEqualTo(200);
            // metrics and health stay open to the scraper and the probes
            HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(URI.create("http://" + external + ":"
                    + runtime.managementPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
        }
    }

    private CaravanRuntime start(Map<String, String> settings) throws Exception {
        Files.createDirectories(home.resolve("workflows"));
        Files.writeString(home.resolve("workflows/hook.yaml"), """
                id: hook
                nodes: [{id: in, type: webhook}]
                """);
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("caravan.http.port", String.valueOf(Ports.free()));
        properties.put("caravan.management.port", String.valueOf(Ports.free()));
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(properties)).start();
    }
}
