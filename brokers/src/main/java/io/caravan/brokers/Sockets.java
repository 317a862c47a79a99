package io.caravan.brokers;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/** Whether a broker listens: for `caravan dev`, the tests and the benchmark, which use one that runs already. */
public final class Sockets {

    private Sockets() {
    }

    /** Whether something accepts TCP connections on host:port within half a second. */
    public static boolean answers(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
