package io.caravan.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy between Caravan and a broker that can stop forwarding, as a network that drops
 * every packet would: while cut, connections stay open but no byte passes either way and new
 * connections are accepted but not carried on; when it heals, what waited flows on. Clients see
 * what a cable pulled for a while looks like: calls that hang until their own timeouts.
 * {@link #refuse()} instead closes every connection and every new one at once, as a server
 * that went away does.
 */
final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String upstreamHost;
    private final int upstreamPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean cut;
    private volatile boolean refusing;
    private volatile boolean closed;

    TcpProxy(String upstreamHost, int upstreamPort) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.upstreamHost = upstreamHost;
        this.upstreamPort = upstreamPort;
        Thread accept = new Thread(this::accept, "proxy-accept-" + port());
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Stops forwarding (nothing is closed). */
    void cut() {
        cut = true;
    }

    /** Closes every connection, and every new one as soon as it is accepted, until {@link #heal()}. */
    void refuse() {
        refusing = true;
        sockets.forEach(TcpProxy::closeQuietly);
        sockets.clear();
    }

    /** Forwards again, what waited first. */
    void heal() {
        synchronized (gate) {
            cut = false;
            refusing = false;
            gate.notifyAll();
        }
    }

    private void awaitHealed() throws InterruptedException {
        synchronized (gate) {
            while (cut && !closed) {
                gate.wait();
            }
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                sockets.add(client);
                Thread t = new Thread(() -> connect(client), "proxy-connect");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void connect(Socket client) {
        try {
            if (refusing) {
                closeQuietly(client);
                return;
            }
            awaitHealed();
            Socket upstream = new Socket(upstreamHost, upstreamPort);
            sockets.add(upstream);
            pump(client, upstream);
            pump(upstream, client);
        } catch (Exception e) {
            closeQuietly(client);
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    // bytes read while the network is cut are held here, as a router's queue would
                    awaitHealed();
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (Exception e) {
                // one side closed: close the other
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        heal();
        server.close();
        sockets.forEach(TcpProxy::closeQuietly);
    }
}
