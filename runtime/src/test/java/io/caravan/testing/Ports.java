package io.caravan.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** Free TCP ports for servers a test starts; never the fixed dev ports other builds may use. */
public final class Ports {

    private Ports() {
    }

    /** Whether something accepts TCP connections on host:port within half a second. */
    public static boolean answers(String host, int port) {
        return io.caravan.brokers.Sockets.answers(host, port);
    }

    public static int free() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
