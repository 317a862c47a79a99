package io.caravan.runtime;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * The platform-http engine, told which server webhooks and platform-http routes belong to.
 *
 * <p>Camel 4.17's VertxPlatformHttpEngine.getServerPort finds "the" server by looking for the
 * single VertxPlatformHttpServer in the registry; with the management server running beside the
 * hub's server there are two, so it falls back to 8080 and every platform-http consumer fails
 * with "No PlatformHttpEngine created and setup in registry with name: platform-http-router-8080"
 * unless caravan.http.port is 8080. Bound as {@code platform-http-engine}, the name
 * PlatformHttpComponent looks the engine up by.
 */
final class FixedPortHttpEngine extends VertxPlatformHttpEngine {

    static final String NAME = "platform-http-engine";

    private final int port;

    FixedPortHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
