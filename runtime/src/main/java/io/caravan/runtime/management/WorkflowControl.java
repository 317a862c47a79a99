package io.caravan.runtime.management;

import io.caravan.compile.CompiledWorkflow;
import io.caravan.runtime.WorkflowDeployer;
import io.caravan.source.InvalidFileException;
import java.util.List;
import javax.management.ObjectName;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.api.management.ManagedCamelContext;
import org.apache.camel.api.management.mbean.ManagedRouteMBean;

/**
 * The MBean of one workflow. It holds only the workflow id and reads everything else when
 * asked, so after a reload it shows the new version without being registered again.
 */
final class WorkflowControl implements WorkflowMBean {

    private final String id;
    private final CamelContext context;
    private final WorkflowDeployer deployer;
    private final RunRecords records;

    WorkflowControl(String id, CamelContext context, WorkflowDeployer deployer, RunRecords records) {
        this.id = id;
        this.context = context;
        this.deployer = deployer;
        this.records = records;
    }

    @Override
    public String getId() {
        return id;
    }

    @Override
    public String getName() {
        return workflow().workflow().name();
    }

    @Override
    public String getSourceFile() {
        return workflow().workflow().sourceFile();
    }

    @Override
    public String getVersion() {
        return workflow().workflow().version();
    }

    @Override
    public String getState() {
        ServiceStatus status = context.getRouteController().getRouteStatus(id);
        return status == null ? null : status.name();
    }

    @Override
    public String getRouteMBean() {
        Route route = context.getRoute(id);
        if (route == null) {
            return null;
        }
        try {
            ObjectName name = context.getManagementStrategy().getManagementObjectNameStrategy().getObjectNameForRoute(route);
            return name == null ? null : name.toString();
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public String getLastErrorCode() {
        RunRecords.LastError e = records.lastError(id);
        return e == null ? null : e.code();
    }

    @Override
    public String getLastErrorNode() {
        RunRecords.LastError e = records.lastError(id);
        return e == null ? null : e.node();
    }

    @Override
    public String getLastErrorMessage() {
        RunRecords.LastError e = records.lastError(id);
        return e == null ? null : e.message();
    }

    @Override
    public String getLastErrorTime() {
        RunRecords.LastError e = records.lastError(id);
        return e == null ? null : e.time().toString();
    }

    @Override
    public long getRunsStarted() {
        return records.started(id);
    }

    @Override
    public long getRunsFailed() {
        return records.failed(id);
    }

    @Override
    public long getExchangesTotal() {
        ManagedRouteMBean route = managedRoute();
        return route == null ? 0 : route.getExchangesTotal();
    }

    @Override
    public long getExchangesCompleted() {
        ManagedRouteMBean route = managedRoute();
        return route == null ? 0 : route.getExchangesCompleted();
    }

    @Override
    public long getExchangesFailed() {
        ManagedRouteMBean route = managedRoute();
        return route == null ? 0 : route.getExchangesFailed();
    }

    @Override
    public String getScheduleLeader() {
        return io.caravan.runtime.cluster.Leadership.of(context, id)
                .map(leads -> leads ? "this instance (" + instanceId() + ")" : "another instance").orElse(null);
    }

    private String instanceId() {
        var service = context.hasService(org.apache.camel.cluster.CamelClusterService.class);
        return service == null ? "?" : service.getId();
    }

    @Override
    public long getExchangesInflight() {
        ManagedRouteMBean route = managedRoute();
        return route == null ? 0 : route.getExchangesInflight();
    }

    @Override
    public void start() throws Exception {
        context.getRouteController().startRoute(id);
    }

    @Override
    public void stop() throws Exception {
        // waits for in-flight exchanges, bounded by the shutdown strategy's timeout
        context.getRouteController().stopRoute(id);
    }

    @Override
    public void suspend() throws Exception {
        context.getRouteController().suspendRoute(id);
    }

    @Override
    public void resume() throws Exception {
        context.getRouteController().resumeRoute(id);
    }

    @Override
    public String reload() {
        List<String> ids;
        try {
            ids = deployer.reload(id);
        } catch (InvalidFileException e) {
            // JDK exception types only, without the cause: a JMX client has no Caravan classes
            throw new IllegalArgumentException("workflow '" + id + "' was not reloaded; the running version stays:\n"
                    + e.getMessage());
        } catch (Exception e) {
            throw new IllegalStateException("workflow '" + id + "' was not reloaded: " + e.getMessage());
        }
        if (!ids.contains(id)) {
            return "workflow '" + id + "' is no longer in its file and was removed; deployed from it: " + ids;
        }
        return getVersion();
    }

    private CompiledWorkflow workflow() {
        return deployer.workflow(id).orElseThrow(() -> new IllegalStateException("workflow '" + id + "' is not deployed"));
    }

    private ManagedRouteMBean managedRoute() {
        ManagedCamelContext managed = context.getCamelContextExtension().getContextPlugin(ManagedCamelContext.class);
        return managed == null ? null : managed.getManagedRoute(id);
    }
}
