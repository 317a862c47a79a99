package io.caravan.runtime;

import io.caravan.source.InvalidFileException;
import io.caravan.compile.CompiledWorkflow;
import io.caravan.compile.WorkflowCompiler;
import io.caravan.credential.CredentialStore;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import io.caravan.CaravanException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.model.ModelCamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which workflows run in one Camel context, and swapping one of them without touching the
 * others: a changed file is validated and compiled first, and only a valid one replaces the
 * running route; a deleted file stops and removes its route.
 */
public final class WorkflowDeployer {

    private static final Logger LOG = LoggerFactory.getLogger(WorkflowDeployer.class);

    private final CamelContext context;
    private final WorkflowCompiler compiler;
    private final CredentialStore credentials;
    private final Map<String, CompiledWorkflow> running = new LinkedHashMap<>();
    private final Set<String> boundCredentials = new HashSet<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private static final Duration RETRY_FIRST = Duration.ofSeconds(2);
    private static final Duration RETRY_MAX = Duration.ofSeconds(30);
    private final List<CompiledWorkflow> atStart = new ArrayList<>();
    private final Map<String, CompiledWorkflow> waiting = new LinkedHashMap<>();
    // the reason each waiting workflow last gave, so that a retry failing the same way is not logged again
    private final Map<String, String> waitingFor = new java.util.HashMap<>();
    private ScheduledExecutorService retries;

    /**
     * Told about workflows that change at run time (not those of start-up), after the change;
     * management uses it to follow deploys. Called while the deployer's lock is held.
     */
    public interface Listener {

        /** A workflow was deployed, or replaced by a new version of it. */
        default void deployed(CompiledWorkflow workflow) {
        }

        /** A workflow was stopped and removed. */
        default void undeployed(String workflowId) {
        }
    }

    WorkflowDeployer(CamelContext context, WorkflowCompiler compiler, CredentialStore credentials) {
        this.context = context;
        this.compiler = compiler;
        this.credentials = credentials;
    }

    /**
     * Binds what the workflows need before Camel starts. With {@code routesAdded} Camel builds
     * their routes itself (from printed YAML); otherwise {@link #deployAtStart} adds them once
     * Camel runs.
     */
    synchronized void prepare(List<CompiledWorkflow> workflows, boolean routesAdded) {
        for (CompiledWorkflow cw : workflows) {
            bindCredentials(cw.workflow());
            if (routesAdded) {
                running.put(cw.workflow().id(), cw);
            } else {
                atStart.add(cw);
            }
        }
    }

    /**
     * Adds the start-up workflows' routes. A workflow whose broker is unreachable or whose
     * queue does not exist yet does not stop the others: it is logged with its code and the
     * broker's address and tried again, with backoff, until it starts.
     */
    synchronized void deployAtStart() throws Exception {
        for (CompiledWorkflow cw : atStart) {
            try {
                add(cw);
            } catch (Exception e) {
                CaravanException error = WorkflowFailures.classify(cw.workflow(), e);
                if (!WorkflowFailures.waitable(error)) {
                    throw e;
                }
                waiting.put(cw.workflow().id(), cw);
                waitingFor.put(cw.workflow().id(), error.code() + ": " + error.getMessage());
                LOG.warn("workflow '{}' is waiting for its broker and will start when it can: {}: {}",
                        cw.workflow().id(), error.code(), error.getMessage());
            }
        }
        atStart.clear();
        if (!waiting.isEmpty()) {
            retryLater(RETRY_FIRST);
        }
    }

    /** Workflows running and workflows waiting for their broker: what metrics and readiness watch. */
    public synchronized List<CompiledWorkflow> runningAndWaiting() {
        List<CompiledWorkflow> all = new ArrayList<>(running.values());
        all.addAll(waiting.values());
        return all;
    }

    /** Workflows waiting for a broker, by id. */
    public synchronized List<String> waiting() {
        return List.copyOf(waiting.keySet());
    }

    private void retryLater(Duration delay) {
        if (retries == null) {
            retries = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "caravan-deploy-retry");
        }
        retries.schedule(() -> retryWaiting(delay), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void retryWaiting(Duration lastDelay) {
        if (!context.getStatus().isStarted()) {
            return;
        }
        for (CompiledWorkflow cw : List.copyOf(waiting.values())) {
            try {
                add(cw);
                waiting.remove(cw.workflow().id());
                waitingFor.remove(cw.workflow().id());
                LOG.info("workflow '{}' started: its broker answers now", cw.workflow().id());
            } catch (Exception e) {
                CaravanException error = WorkflowFailures.classify(cw.workflow(), e);
                String reason = error.code() + ": " + error.getMessage();
                // said once: again only when the reason changes (every retry is at DEBUG)
                if (reason.equals(waitingFor.put(cw.workflow().id(), reason))) {
                    LOG.debug("workflow '{}' still waiting: {}", cw.workflow().id(), reason);
                } else {
                    LOG.warn("workflow '{}' still waiting: {}", cw.workflow().id(), reason);
                }
            }
        }
        if (!waiting.isEmpty()) {
            Duration next = lastDelay.multipliedBy(2).compareTo(RETRY_MAX) > 0 ? RETRY_MAX : lastDelay.multipliedBy(2);
            retryLater(next);
        }
    }

    /** Adds one workflow's route; on failure nothing of it is left in the context. */
    private void add(CompiledWorkflow cw) throws Exception {
        ModelCamelContext model = (ModelCamelContext) context;
        String id = cw.workflow().id();
        try {
            model.addRouteDefinitions(cw.routes());
        } catch (Exception e) {
            try {
                removeRoutes(cw);
            } catch (Exception cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        running.put(id, cw);
        listeners.forEach(l -> l.deployed(cw));
        LOG.info("workflow '{}' deployed from {} (version {})", id, cw.workflow().sourceFile(), cw.workflow().version());
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    public synchronized List<CompiledWorkflow> workflows() {
        return List.copyOf(running.values());
    }

    public synchronized Optional<CompiledWorkflow> workflow(String id) {
        return Optional.ofNullable(running.get(id));
    }

    /**
     * Validates and compiles {@code file}, then replaces the workflow(s) it held. Throws
     * InvalidFileException with the report, leaving what runs untouched, when the file is invalid.
     *
     * @return the ids now deployed from that file
     */
    public synchronized List<String> deployFile(Path file) throws Exception {
        List<Workflow> loaded = WorkflowSet.load(List.of(file), credentials);
        List<CompiledWorkflow> compiled = loaded.stream().map(compiler::compile).toList();
        for (CompiledWorkflow cw : compiled) {
            String id = cw.workflow().id();
            CompiledWorkflow other = running.get(id);
            if (other != null && !samePath(other.workflow().sourceFile(), file)) {
                throw new IllegalStateException("workflow id '" + id + "' in " + file + " is already deployed from "
                        + other.workflow().sourceFile());
            }
        }
        List<String> deployed = new ArrayList<>();
        for (String id : idsFrom(file)) {
            if (compiled.stream().noneMatch(c -> c.workflow().id().equals(id))) {
                undeploy(id);
                listeners.forEach(l -> l.undeployed(id));
            }
        }
        for (CompiledWorkflow cw : compiled) {
            replace(cw);
            deployed.add(cw.workflow().id());
            listeners.forEach(l -> l.deployed(cw));
        }
        return deployed;
    }

    /** Stops and removes the workflows that came from {@code file}. */
    public synchronized List<String> undeployFile(Path file) throws Exception {
        List<String> ids = idsFrom(file);
        for (String id : ids) {
            undeploy(id);
            listeners.forEach(l -> l.undeployed(id));
        }
        return ids;
    }

    /** Reads the workflow's file again and swaps it in if it is valid. */
    public synchronized List<String> reload(String id) throws Exception {
        CompiledWorkflow cw = running.get(id);
        if (cw == null) {
            throw new IllegalArgumentException("no workflow '" + id + "' is deployed");
        }
        return deployFile(Path.of(cw.workflow().sourceFile()));
    }

    private void replace(CompiledWorkflow cw) throws Exception {
        String id = cw.workflow().id();
        waiting.remove(id);
        waitingFor.remove(id);
        if (running.containsKey(id)) {
            undeploy(id);
        }
        bindCredentials(cw.workflow());
        ((ModelCamelContext) context).addRouteDefinitions(cw.routes());
        running.put(id, cw);
        LOG.info("workflow '{}' deployed from {} (version {})", id, cw.workflow().sourceFile(), cw.workflow().version());
    }

    private void undeploy(String id) throws Exception {
        CompiledWorkflow cw = running.remove(id);
        if (cw == null) {
            return;
        }
        // stopRoute waits for in-flight exchanges (bounded by the shutdown strategy's timeout)
        context.getRouteController().stopRoute(id);
        removeRoutes(cw);
        LOG.info("workflow '{}' undeployed", id);
    }

    /** Stops and removes the workflow's routes, the main route first, whatever state they are in. */
    private void removeRoutes(CompiledWorkflow cw) throws Exception {
        ModelCamelContext model = (ModelCamelContext) context;
        List<org.apache.camel.model.RouteDefinition> routes = new ArrayList<>(cw.routes());
        java.util.Collections.reverse(routes);
        for (org.apache.camel.model.RouteDefinition route : routes) {
            String routeId = route.getRouteId();
            if (context.getRoute(routeId) != null) {
                context.getRouteController().stopRoute(routeId);
            }
            if (model.getRouteDefinition(routeId) != null) {
                model.removeRouteDefinition(model.getRouteDefinition(routeId));
            } else {
                context.removeRoute(routeId);
            }
        }
    }

    private List<String> idsFrom(Path file) {
        return running.values().stream().filter(c -> samePath(c.workflow().sourceFile(), file))
                .map(c -> c.workflow().id()).toList();
    }

    private static boolean samePath(String sourceFile, Path file) {
        return Path.of(sourceFile).toAbsolutePath().normalize().equals(file.toAbsolutePath().normalize());
    }

    /** Binds the broker clients of each credential a workflow uses, once per credential. */
    private void bindCredentials(Workflow workflow) {
        for (String id : workflow.credentialIds()) {
            if (boundCredentials.add(id)) {
                io.caravan.camel.CredentialBeans.bind(context, credentials.find(id).orElseThrow());
            }
        }
    }
}
