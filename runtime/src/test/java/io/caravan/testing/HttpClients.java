package io.caravan.testing;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The HTTP client tests call webhooks and the management port with: HTTP/1.1, because the JDK
 * client's default (HTTP/2, an h2c upgrade on plain http) once left a request waiting for ever in
 * CI while the server was idle.
 */
public final class HttpClients {

    private HttpClients() {
    }

    public static HttpClient http11() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }
}
