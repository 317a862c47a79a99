package io.caravan.runtime.management;

import io.caravan.compile.CompiledWorkflow;
import io.caravan.runtime.WorkflowDeployer;
import java.util.List;
import java.util.function.Supplier;
import javax.management.JMException;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.ManagementAgent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link WorkflowMBean} registered per deployed workflow, following deploys and
 * undeploys. Registered through Camel's management agent: the same MBean server as Camel's
 * route MBeans (the platform one by default), nothing at all when JMX is disabled
 * ({@code camel.main.jmxEnabled=false}), and unregistered by Camel when the context stops, so
 * several runtimes in one JVM (the tests) never see each other's leftovers.
 */
final class WorkflowMBeans implements WorkflowDeployer.Listener {

    static final String DOMAIN = "io.caravan";
    private static final Logger LOG = LoggerFactory.getLogger(WorkflowMBeans.class);

    private final CamelContext context;
    private final WorkflowDeployer deployer;
    private final RunRecords records;

    WorkflowMBeans(CamelContext context, WorkflowDeployer deployer, RunRecords records) {
        this.context = context;
        this.deployer = deployer;
        this.records = records;
    }

    /** Registers the MBean that names the route files' routes that did not start. */
    void registerRouteFiles(Supplier<List<String>> failed) {
        ManagementAgent agent = agent();
        if (agent == null) {
            return;
        }
        RouteFilesMBean bean = new RouteFilesMBean() {
            @Override
            public String[] getFailedRoutes() {
                return failed.get().toArray(String[]::new);
            }

            @Override
            public int getFailedRouteCount() {
                return failed.get().size();
            }
        };
        try {
            ObjectName name = new ObjectName(DOMAIN + ":context=" + contextKey() + ",type=RouteFiles");
            if (!agent.isRegistered(name)) {
                agent.register(new StandardMBean(bean, RouteFilesMBean.class), name);
            }
        } catch (JMException e) {
            LOG.warn("cannot register the RouteFiles MBean: {}", e.getMessage());
        }
    }

    /** Registers the workflows deployed at start-up; call once the routes exist. */
    void registerAll() {
        deployer.workflows().forEach(this::deployed);
    }

    @Override
    public void deployed(CompiledWorkflow workflow) {
        ManagementAgent agent = agent();
        if (agent == null) {
            return;
        }
        String id = workflow.workflow().id();
        try {
            ObjectName name = objectName(id);
            // a reload deploys the same id again; the MBean reads the new version by itself
            if (!agent.isRegistered(name)) {
                agent.register(new StandardMBean(new WorkflowControl(id, context, deployer, records), WorkflowMBean.class), name);
            }
        } catch (JMException e) {
            LOG.warn("cannot register the MBean of workflow '{}': {}", id, e.getMessage());
        }
    }

    @Override
    public void undeployed(String workflowId) {
        ManagementAgent agent = agent();
        if (agent == null) {
            return;
        }
        try {
            agent.unregister(objectName(workflowId));
        } catch (JMException e) {
            LOG.warn("cannot unregister the MBean of workflow '{}': {}", workflowId, e.getMessage());
        }
    }

    /** {@code io.caravan:context=<camel management name>,type=Workflow,name="<id>"}, like Camel's route MBeans. */
    ObjectName objectName(String workflowId) throws MalformedObjectNameException {
        return new ObjectName(DOMAIN + ":context=" + contextKey() + ",type=Workflow,name=" + ObjectName.quote(workflowId));
    }

    /** The context key Camel uses in its own MBean names, so both sets match in a query. */
    private String contextKey() throws MalformedObjectNameException {
        ObjectName camel = context.getManagementStrategy().getManagementObjectNameStrategy()
                .getObjectNameForCamelContext(context);
        return camel.getKeyProperty("context");
    }

    private ManagementAgent agent() {
        return context.getManagementStrategy() == null ? null : context.getManagementStrategy().getManagementAgent();
    }
}
