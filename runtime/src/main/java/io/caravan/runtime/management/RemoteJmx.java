package io.caravan.runtime.management;

import java.io.IOException;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The remote JMX endpoint for jconsole and other JMX clients: an RMI connector server on the
 * platform MBean server, started only when {@code caravan.jmx.port} is set. The RMI registry
 * and the RMI server share that one port (or use {@code caravan.jmx.rmi-port}), so it works
 * through one known port, e.g. an SSH tunnel. Both listen on {@code caravan.jmx.host}
 * (127.0.0.1 by default) only, and every client must log in with {@code caravan.jmx.user} and
 * {@code caravan.jmx.password}; there is no default password.
 */
public final class RemoteJmx {

    public static final String PORT = "caravan.jmx.port";
    public static final String RMI_PORT = "caravan.jmx.rmi-port";
    public static final String HOST = "caravan.jmx.host";
    public static final String USER = "caravan.jmx.user";
    public static final String PASSWORD = "caravan.jmx.password";

    private static final Logger LOG = LoggerFactory.getLogger(RemoteJmx.class);

    private final String host;
    private final int port;
    private final int rmiPort;
    private final String user;
    private final String password;
    private Registry registry;
    private JMXConnectorServer server;

    private RemoteJmx(String host, int port, int rmiPort, String user, String password) {
        this.host = host;
        this.port = port;
        this.rmiPort = rmiPort;
        this.user = user;
        this.password = password;
    }

    /**
     * The remote endpoint the settings ask for, or null when {@code caravan.jmx.port} is not
     * set. Throws IllegalArgumentException, naming the keys, when the settings are incomplete.
     */
    public static RemoteJmx fromProperties(Properties p) {
        String port = blankToNull(p.getProperty(PORT));
        if (port == null) {
            return null;
        }
        String user = blankToNull(p.getProperty(USER));
        String password = blankToNull(p.getProperty(PASSWORD));
        if (user == null || password == null) {
            throw new IllegalArgumentException(PORT + " is set, so remote JMX needs a login: set " + USER + " and "
                    + PASSWORD + " (missing: " + (user == null ? USER : "") + (user == null && password == null ? ", " : "")
                    + (password == null ? PASSWORD : "") + ")");
        }
        int registryPort = parsePort(PORT, port);
        String rmi = blankToNull(p.getProperty(RMI_PORT));
        int serverPort = rmi == null ? registryPort : parsePort(RMI_PORT, rmi);
        String host = Objects.requireNonNullElse(blankToNull(p.getProperty(HOST)), "127.0.0.1");
        return new RemoteJmx(host, registryPort, serverPort, user, password);
    }

    /** What a client connects to, e.g. {@code service:jmx:rmi://127.0.0.1:9010/jndi/rmi://127.0.0.1:9010/jmxrmi}. */
    public JMXServiceURL serviceUrl() throws IOException {
        return new JMXServiceURL("service:jmx:rmi://" + host + ":" + rmiPort + "/jndi/rmi://" + host + ":" + port + "/jmxrmi");
    }

    public synchronized void start() throws IOException {
        if (server != null) {
            return;
        }
        // RMI stubs carry this host name; without it a client is sent to the machine's
        // default address, where nothing listens when the server is bound to 127.0.0.1
        if (System.getProperty("java.rmi.server.hostname") == null) {
            System.setProperty("java.rmi.server.hostname", host);
        }
        BoundSocketFactory sockets = new BoundSocketFactory(InetAddress.getByName(host));
        registry = LocateRegistry.createRegistry(port, null, sockets);
        Map<String, Object> env = new HashMap<>();
        env.put(JMXConnectorServer.AUTHENTICATOR, new PasswordAuthenticator(user, password));
        env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, sockets);
        // credentials arrive deserialized: accept a String[] and nothing else
        env.put("jmx.remote.rmi.server.credentials.filter.pattern", "java.lang.String;!*");
        JMXServiceURL url = serviceUrl();
        try {
            server = JMXConnectorServerFactory.newJMXConnectorServer(url, env, ManagementFactory.getPlatformMBeanServer());
            server.start();
        } catch (IOException | RuntimeException e) {
            closeRegistry();
            server = null;
            throw e;
        }
        LOG.info("remote JMX on {} (user '{}')", url, user);
    }

    public synchronized void stop() {
        if (server != null) {
            try {
                server.stop();
            } catch (IOException e) {
                LOG.warn("stopping remote JMX: {}", e.getMessage());
            }
            server = null;
        }
        closeRegistry();
    }

    private void closeRegistry() {
        if (registry != null) {
            try {
                UnicastRemoteObject.unexportObject(registry, true);
            } catch (IOException e) {
                LOG.warn("closing the RMI registry: {}", e.getMessage());
            }
            registry = null;
        }
    }

    private static int parsePort(String key, String value) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0 && n < 65536) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(key + " must be a TCP port (1-65535), not '" + value + "'");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /**
     * Server sockets on one address. Equal instances let RMI put the registry and the connector
     * server on the same port.
     */
    private record BoundSocketFactory(InetAddress address) implements RMIServerSocketFactory, Serializable {

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return new ServerSocket(port, 50, address);
        }
    }
}
