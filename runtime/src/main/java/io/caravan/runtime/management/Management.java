package io.caravan.runtime.management;

import io.caravan.compile.RunEvents;
import io.caravan.runtime.WorkflowDeployer;
import java.util.Properties;
import java.util.List;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.support.SimpleEventNotifierSupport;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Caravan's JMX management of one runtime: a {@link WorkflowMBean} per workflow, the optional
 * remote JMX endpoint ({@link RemoteJmx}) and Jolokia over HTTP. Settings are checked when the
 * runtime is created, so a bad one stops start-up before anything runs.
 */
public final class Management {

    public static final String JOLOKIA_ENABLED = "caravan.jolokia.enabled";

    private final RunRecords records = new RunRecords();
    private final RemoteJmx remote;
    private final Properties properties;

    public Management(Properties properties) {
        this.properties = properties;
        this.remote = RemoteJmx.fromProperties(properties);
    }

    public static final String JOLOKIA_USER = "caravan.jolokia.user";
    public static final String JOLOKIA_PASSWORD = "caravan.jolokia.password";

    /**
     * Maps Caravan's keys onto camel-main's: {@code caravan.jolokia.enabled=true} turns on the
     * Jolokia endpoint (camel-platform-http-jolokia) of Camel's management HTTP server. Jolokia
     * can call every MBean operation, so on an address other than loopback it needs a login, as
     * remote JMX does: {@code caravan.jolokia.user} and {@code caravan.jolokia.password}, checked
     * by the management server's basic authentication (a Vert.x properties file of one user,
     * written beside nothing else and readable by this user only). Without them start-up fails.
     */
    public static void mapProperties(Properties p) {
        if (Boolean.parseBoolean(p.getProperty(JOLOKIA_ENABLED, "false"))) {
            p.setProperty("camel.management.enabled", "true");
            p.setProperty("camel.management.jolokiaEnabled", "true");
            String host = p.getProperty("camel.management.host", "127.0.0.1");
            if (!isLoopback(host)) {
                String user = p.getProperty(JOLOKIA_USER);
                String password = p.getProperty(JOLOKIA_PASSWORD);
                if (user == null || user.isBlank() || password == null || password.isBlank()) {
                    throw new IllegalArgumentException("caravan.jolokia.enabled on " + host + " (caravan.management.host)"
                            + " needs " + JOLOKIA_USER + " and " + JOLOKIA_PASSWORD + ": Jolokia can call every MBean"
                            + " operation; on 127.0.0.1 it needs none");
                }
                p.setProperty("camel.management.authenticationEnabled", "true");
                p.setProperty("camel.management.authenticationPath", p.getProperty("camel.management.jolokiaPath",
                        "/observe/jolokia") + "/*");
                p.setProperty("camel.management.basicPropertiesFile", usersFile(user, password));
            }
        }
    }

    /** Whether a bind address is the loopback interface only. */
    public static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
    }

    /** A Vert.x PropertyFileAuthentication file with one user (https://vertx.io/docs/vertx-auth-properties/java/). */
    private static String usersFile(String user, String password) {
        try {
            java.nio.file.Path file = java.nio.file.Files.createTempFile("caravan-jolokia-", ".properties",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            file.toFile().deleteOnExit();
            java.nio.file.Files.writeString(file, "user." + user + "=" + password + ",jolokia\n");
            return file.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write the Jolokia login file: " + e.getMessage(), e);
        }
    }

    /** The listener that records runs and failures; add it to the runtime before it starts. */
    public RunEvents runEvents() {
        return records;
    }

    /** The remote endpoint, or null when {@code caravan.jmx.port} is not set. */
    public RemoteJmx remote() {
        return remote;
    }

    /**
     * Hooks management into a context that has not started yet: workflow MBeans once Camel has
     * started (the route MBeans exist then), following the deployer from there on; the remote
     * endpoint starts and stops with the context.
     */
    public void attach(CamelContext context, WorkflowDeployer deployer, Supplier<List<String>> failedRoutes) throws Exception {
        WorkflowMBeans mbeans = new WorkflowMBeans(context, deployer, records);
        deployer.addListener(mbeans);
        SimpleEventNotifierSupport started = new SimpleEventNotifierSupport() {
            {
                // the context's start only: a notifier that takes exchange events makes Camel build a
                // sending and a sent event for every step of every message (each caravan: step's `to`)
                setupIgnore(true);
                setIgnoreCamelContextEvents(false);
            }

            @Override
            public void notify(CamelEvent event) {
                if (event.getType() == CamelEvent.Type.CamelContextStarted) {
                    mbeans.registerAll();
                    mbeans.registerRouteFiles(failedRoutes);
                    Console.install(context, deployer, records);
                }
            }
        };
        context.getManagementStrategy().addEventNotifier(started);
        if (remote != null) {
            context.addService(new ServiceSupport() {
                @Override
                protected void doStart() throws Exception {
                    remote.start();
                }

                @Override
                protected void doStop() {
                    remote.stop();
                }
            }, true, true);
        }
    }
}
