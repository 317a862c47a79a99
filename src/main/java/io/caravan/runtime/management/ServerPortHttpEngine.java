package io.caravan.runtime.management;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * The platform-http engine, told which port the hub's HTTP server is on. Camel 4.17's engine
 * finds that port by looking for the single Vert.x HTTP server in the registry; once the
 * management server (Jolokia, metrics) runs too there are two, it falls back to 8080, and
 * every webhook fails to start with "No PlatformHttpEngine created and setup in registry with
 * name: platform-http-router-8080".
 */
final class ServerPortHttpEngine extends VertxPlatformHttpEngine {

    /** The name platform-http looks its engine up by. */
    static final String NAME = "platform-http-engine";

    private final int port;

    ServerPortHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
