package io.caravan.runtime.management;

import io.caravan.compile.RunEvents;
import io.caravan.runtime.WorkflowDeployer;
import java.util.Properties;
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

    /**
     * Maps Caravan's keys onto camel-main's: {@code caravan.jolokia.enabled=true} turns on
     * Camel's management HTTP server with its Jolokia endpoint (camel-platform-http-jolokia),
     * bound to 127.0.0.1 unless {@code camel.management.host} says otherwise, because Jolokia
     * can call every MBean operation and has no login of its own here.
     */
    public static void mapProperties(Properties p) {
        if (Boolean.parseBoolean(p.getProperty(JOLOKIA_ENABLED, "false"))) {
            p.setProperty("camel.management.enabled", "true");
            p.setProperty("camel.management.jolokiaEnabled", "true");
            if (p.getProperty("camel.management.host") == null) {
                p.setProperty("camel.management.host", "127.0.0.1");
            }
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
    public void attach(CamelContext context, WorkflowDeployer deployer) throws Exception {
        WorkflowMBeans mbeans = new WorkflowMBeans(context, deployer, records);
        deployer.addListener(mbeans);
        context.getManagementStrategy().addEventNotifier(new SimpleEventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event.getType() == CamelEvent.Type.CamelContextStarted) {
                    mbeans.registerAll();
                }
            }
        });
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
