package io.caravan.runtime;

import io.caravan.source.InvalidFileException;
import io.caravan.CaravanException;
import io.caravan.binding.Bindings;
import io.caravan.compile.CompiledWorkflow;
import io.caravan.compile.RunEvents;
import io.caravan.compile.WorkflowCompiler;
import io.caravan.compile.YamlPrinter;
import io.caravan.credential.CredentialStore;
import io.caravan.spec.Durations;
import io.caravan.runtime.observe.Observability;
import io.caravan.runtime.observe.RunMetrics;
import io.caravan.runtime.management.Management;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.StartupListener;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

/**
 * One Caravan process: a camel-main runtime that runs the compiled workflows beside the
 * hand-written YAML routes and kamelets. Workflows are validated and compiled before Camel
 * starts, so an invalid one stops start-up with the whole report.
 */
public final class CaravanRuntime implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CaravanRuntime.class);

    private final RuntimeOptions options;
    private final Properties properties;
    private final CredentialStore credentials;
    private final List<CompiledWorkflow> workflows;
    private final Sources sources;
    private final Main main;
    private final WorkflowCompiler compiler;
    private final List<RunEvents> listeners = new CopyOnWriteArrayList<>();
    /** All listeners as one; also in Camel's registry, where caravan: endpoints find it by type. */
    private final RunEvents events;
    private final Observability observability;
    private final Management management;
    /** Replaces the OTLP exporter of caravan.tracing (tests: an in-memory one). */
    private io.opentelemetry.sdk.trace.export.SpanExporter traceExporter;
    private WorkflowDeployer deployer;
    private RouteFiles routes;
    private Dependencies dependencies;
    private final List<String> settingsWarnings = new ArrayList<>();
    private WorkflowWatcher watcher;
    /** caravan.cluster.*: who fires each schedule when several instances run. */
    private final io.caravan.runtime.cluster.ClusterSettings cluster;

    private CaravanRuntime(RuntimeOptions options) {
        this.options = options;
        this.sources = options.sources();
        this.properties = loadProperties(options);
        settingsWarnings.forEach(w -> LOG.warn("setting ignored: {}", w));
        // checked here, so that a bad setting stops the start; the context's cluster service
        // (CaravanClusterService, added by ClusterServicePlugin) reads the same properties, with
        // the lock directory and this instance's name written out as they were resolved here
        this.cluster = io.caravan.runtime.cluster.ClusterSettings.from(properties, options.home());
        properties.setProperty(io.caravan.runtime.cluster.ClusterSettings.ROOT, cluster.root().toString());
        properties.setProperty(io.caravan.runtime.cluster.ClusterSettings.INSTANCE, cluster.instance());
        this.credentials = WorkflowSet.loadCredentials(options);
        this.management = new Management(properties);
        listeners.add(management.runEvents());
        // listeners may be added after compiling, until the runtime starts
        this.events = RunEvents.all(listeners);
        this.compiler = WorkflowCompiler.standard();
        List<Workflow> loaded = WorkflowSet.load(sources.workflows(), credentials);
        // a workflow another one calls gets a call entry, whatever its trigger: worked out once for
        // the start; a reload asks the deployer what runs then
        java.util.Set<String> calledAtStart = io.caravan.workflow.CallGraph.calledIds(loaded);
        this.compiler.calledBy(id -> deployer == null ? calledAtStart.contains(id)
                : io.caravan.workflow.CallGraph.calledIds(deployer.runningAndWaiting().stream()
                        .map(CompiledWorkflow::workflow).toList()).contains(id));
        this.workflows = loaded.stream().map(compiler::compile).toList();
        RouteIds.requireUnique(sources.routes(), workflows);
        List<io.caravan.source.Diagnostic> sameSource = new ArrayList<>(TriggerSources.clashes(workflows));
        sameSource.addAll(io.caravan.workflow.CallGraph.problems(workflows.stream().map(CompiledWorkflow::workflow).toList()));
        if (!sameSource.isEmpty()) {
            throw new InvalidFileException(sameSource);
        }
        this.main = createMain();
        // waiting workflows too: their unreachable broker is what /ready must report
        this.observability = new Observability(() -> deployer == null ? workflows : deployer.runningAndWaiting(),
                properties.getProperty("caravan.metrics.depth-interval", "15s"));
        addRunEvents(observability.runMetrics());
        main.addMainListener(observability);
    }

    /** Validates, compiles and configures; throws InvalidFileException with every problem found. */
    public static CaravanRuntime create(RuntimeOptions options) {
        return new CaravanRuntime(options);
    }

    /** Starts Camel and returns once every route has started. */
    /** Sends the spans of caravan.tracing to {@code exporter} instead of OTLP; call before {@link #start}. */
    public CaravanRuntime traceTo(io.opentelemetry.sdk.trace.export.SpanExporter exporter) {
        this.traceExporter = exporter;
        return this;
    }

    public CaravanRuntime start() throws Exception {
        main.start();
        return this;
    }

    /** Starts Camel and blocks until the process is told to stop (SIGINT, SIGTERM). */
    public void run() throws Exception {
        main.run();
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    /** The workflows running now (after a reload, the new versions). */
    public List<CompiledWorkflow> workflows() {
        return deployer == null ? workflows : deployer.workflows();
    }

    /** Swaps workflows at run time; available once the runtime has been configured. */
    public WorkflowDeployer deployer() {
        if (deployer == null) {
            throw new IllegalStateException("the runtime has not started yet");
        }
        return deployer;
    }

    /** Adds a listener to every run's events (metrics, management). */
    public void addRunEvents(RunEvents listener) {
        listeners.add(listener);
    }

    /** JMX management: workflow MBeans, remote JMX, Jolokia. */
    public Management management() {
        return management;
    }

    /** The route files' routes that did not start (none under --strict: the start fails instead). */
    public List<RouteFiles.Failure> failedRoutes() {
        return routes == null ? List.of() : routes.failures();
    }

    /** Settings that were given but mean nothing here (Camel JBang's export options, ...), one line each. */
    public List<String> settingsWarnings() {
        return List.copyOf(settingsWarnings);
    }

    /** The jars and artifacts added at start (lib/, --dep, caravan.dependencies). */
    public List<String> addedDependencies() {
        return dependencies == null ? List.of() : dependencies.added();
    }

    /** The --dep and caravan.dependencies artifacts that could not be resolved. */
    public List<String> unresolvedDependencies() {
        return dependencies == null ? List.of() : dependencies.failed();
    }

    /** {@code run --strict}: every route file must start, or the runtime does not. */
    public boolean strict() {
        return Boolean.parseBoolean(properties.getProperty("caravan.strict", "false"));
    }

    public Sources sources() {
        return sources;
    }

    public int httpPort() {
        return Integer.parseInt(properties.getProperty("camel.server.port"));
    }

    /** The management port: /metrics, /health, /ready. */
    public int managementPort() {
        return Integer.parseInt(properties.getProperty("camel.management.port"));
    }

    /** Caravan's counters: error handling calls {@link RunMetrics#retried} and {@link RunMetrics#deadLettered}. */
    public RunMetrics metrics() {
        return observability.runMetrics();
    }

    /** caravan.cluster.*: the cluster service and this instance's id in it. */
    public io.caravan.runtime.cluster.ClusterSettings cluster() {
        return cluster;
    }

    public Observability observability() {
        return observability;
    }

    public String property(String name) {
        return properties.getProperty(name);
    }

    public void addListener(MainListenerSupport listener) {
        main.addMainListener(listener);
    }

    @Override
    public void close() throws Exception {
        stopWatching();
        main.stop();
        if (dependencies != null) {
            dependencies.close();
        }
    }

    private Main createMain() {
        Main m = new Main();
        m.setInitialProperties(properties);
        // config/application.properties is read here, not by camel-main's default lookup,
        // so that Caravan's own keys (caravan.*) can be mapped before Camel sees them
        m.setPropertyPlaceholderLocations("");
        // --strict: camel-main loads the route files before it starts, and any route that cannot
        // start stops the start; otherwise they are added once Camel runs (RouteFiles)
        boolean strict = strict();
        List<String> routeFiles = new ArrayList<>();
        if (strict) {
            sources.routes().forEach(p -> routeFiles.add("file:" + p.toAbsolutePath()));
        }
        boolean viaYaml = Boolean.parseBoolean(properties.getProperty("caravan.compile.via-yaml", "false"));
        if (viaYaml) {
            // run the workflows from the YAML `caravan compile` prints, read back by Camel's
            // YAML DSL loader: tests use this to prove the printed YAML is what runs
            routeFiles.add("file:" + writeCompiledYaml().toAbsolutePath());
        }
        if (!routeFiles.isEmpty()) {
            m.configure().withRoutesIncludePattern(String.join(",", routeFiles));
        }
        m.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport support) {
                CamelContext context = support.getCamelContext();
                // first: components from lib/ and --dep must be there before any route names one
                dependencies = Dependencies.install(context, properties, Dependencies.libDir(options, properties),
                        sources.routes().stream().map(r -> r.toAbsolutePath().getParent()).distinct().toList());
                context.getRegistry().bind(FixedPortHttpEngine.NAME, new FixedPortHttpEngine(httpPort()));
                context.getRegistry().bind("caravan-run-events", RunEvents.class, events);
                Bindings.ALL.forEach(b -> b.register(context));
                io.caravan.tracing.Tracing tracing = io.caravan.tracing.Tracing.create(properties, traceExporter);
                if (tracing != null) {
                    context.getRegistry().bind(io.caravan.tracing.Tracing.NAME, tracing);
                    try {
                        // flushes and stops the exporter once the routes have stopped
                        context.addService(new org.apache.camel.support.service.ServiceSupport() {
                            @Override
                            protected void doStop() {
                                tracing.close();
                            }
                        }, true, true);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                deployer = new WorkflowDeployer(context, compiler, credentials);
                deployer.prepare(workflows, viaYaml);
                routes = new RouteFiles(context);
                // added once Camel runs, one by one: a route that cannot start and a workflow
                // whose broker is down are reported and wait, instead of stopping the whole runtime
                try {
                    context.addStartupListener(new StartupListener() {
                        @Override
                        public void onCamelContextStarted(CamelContext c, boolean alreadyStarted) {
                        }

                        @Override
                        public void onCamelContextFullyStarted(CamelContext c, boolean alreadyStarted) throws Exception {
                            if (!strict) {
                                routes.load(sources.routes());
                                HealthCheckRegistry health = HealthCheckRegistry.get(c);
                                if (health != null) {
                                    var check = routes.healthCheck();
                                    check.setCamelContext(c);
                                    health.register(check);
                                }
                            }
                            if (!viaYaml) {
                                deployer.deployAtStart();
                            }
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                try {
                    management.attach(context, deployer,
                            () -> routes.failures().stream().map(RouteFiles.Failure::describe).toList());
                } catch (Exception e) {
                    throw new IllegalStateException("cannot set up JMX management: " + e.getMessage(), e);
                }
                if (Boolean.parseBoolean(properties.getProperty("caravan.watch", "false"))) {
                    // a StartupListener, not MainListener.afterStart: camel-main calls the latter
                    // only from the blocking run(), and tests start the runtime with start()
                    addStartupListener(context);
                }
            }

            @Override
            public void beforeStop(BaseMainSupport support) {
                stopWatching();
            }
        });
        return m;
    }

    private Path writeCompiledYaml() {
        try {
            Path file = Files.createTempFile("caravan-workflows-", ".camel.yaml");
            file.toFile().deleteOnExit();
            Files.writeString(file, YamlPrinter.print(workflows));
            return file;
        } catch (Exception e) {
            throw new IllegalStateException("cannot write the compiled workflows as YAML: " + e.getMessage(), e);
        }
    }

    private void addStartupListener(CamelContext context) {
        try {
            context.addStartupListener((ctx, alreadyStarted) -> {
                if (watcher == null) {
                    List<Path> watched = new ArrayList<>(watchedWorkflowPaths());
                    if (!strict()) {
                        sources.routes().stream().map(r -> r.toAbsolutePath().getParent()).distinct().forEach(watched::add);
                        // the home's routes/ even while it holds no route file yet
                        Path homeRoutes = options.home().resolve("routes");
                        if (options.paths().isEmpty() && Files.isDirectory(homeRoutes)) {
                            watched.add(homeRoutes);
                        }
                    }
                    watcher = WorkflowWatcher.start(deployer, strict() ? null : routes, watched);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot watch the workflow folders: " + e.getMessage(), e);
        }
    }

    private void stopWatching() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (IOException e) {
                // stopping anyway
            }
            watcher = null;
        }
    }

    /** The workflow folders (or single files) that --watch follows. */
    private List<Path> watchedWorkflowPaths() {
        if (!options.paths().isEmpty()) {
            return options.paths().stream().filter(Files::exists).toList();
        }
        Path dir = options.home().resolve("workflows");
        return Files.isDirectory(dir) ? List.of(dir) : List.of();
    }

    private Properties loadProperties(RuntimeOptions options) {
        Properties p = new Properties();
        try (InputStream in = CaravanRuntime.class.getResourceAsStream("/caravan-defaults.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Caravan's defaults", e);
        }
        // what the user set, in files or on the command line, apart from Caravan's defaults
        Properties user = userProperties(options, sources);
        p.putAll(user);
        // Camel's names for the servers (camel.server.port in a Camel JBang example's
        // application.properties) count when Caravan's own name is not set
        for (String[] names : new String[][] {{"caravan.http.port", "camel.server.port"}, {"caravan.http.host", "camel.server.host"},
                {"caravan.management.port", "camel.management.port"}, {"caravan.management.host", "camel.management.host"}}) {
            if (!user.containsKey(names[0]) && user.containsKey(names[1])) {
                p.setProperty(names[0], user.getProperty(names[1]));
            }
        }
        settingsWarnings.addAll(CamelJBangSettings.apply(user, p));
        // Caravan's names for the settings users change most, mapped onto Camel's
        p.setProperty("camel.server.port", p.getProperty("caravan.http.port", "8080"));
        p.setProperty("camel.main.shutdownTimeout", String.valueOf(
                seconds(p.getProperty("caravan.shutdown.timeout", "15s"), "caravan.shutdown.timeout")));
        if (Boolean.parseBoolean(p.getProperty("caravan.watch", "false")) && Boolean.parseBoolean(p.getProperty("caravan.strict", "false"))) {
            // --strict: camel-main loaded the route files, and Camel's own watcher reloads a
            // changed *.camel.yaml (otherwise Caravan's watcher gives it to RouteFiles); it must
            // not remove all routes on reload, or every workflow would restart with it
            sources.routes().stream().map(r -> r.toAbsolutePath().getParent()).findFirst().ifPresent(dir -> {
                p.setProperty("camel.main.routesReloadEnabled", "true");
                p.setProperty("camel.main.routesReloadDirectory", dir.toString());
                p.setProperty("camel.main.routesReloadPattern", "*.camel.yaml");
                p.setProperty("camel.main.routesReloadRemoveAllRoutes", "false");
            });
        }
        p.setProperty("camel.management.port", p.getProperty("caravan.management.port", "9876"));
        // webhooks are meant to be reached; metrics, health and Jolokia are not, unless told so
        p.setProperty("camel.server.host", p.getProperty("caravan.http.host", "0.0.0.0"));
        p.setProperty("camel.management.host", p.getProperty("caravan.management.host", "127.0.0.1"));
        List<String> kamelets = new ArrayList<>();
        sources.kameletDirs().forEach(d -> kamelets.add("file:" + d.toAbsolutePath()));
        settingKameletDirs(p).forEach(d -> kamelets.add("file:" + d.toAbsolutePath()));
        kamelets.add("classpath:kamelets");
        p.setProperty("camel.component.kamelet.location", String.join(",", kamelets));
        Management.mapProperties(p);
        return p;
    }

    /** The kamelet folders of {@code caravan.kamelets.dirs} (Camel JBang's localKameletDir maps onto it). */
    static List<Path> settingKameletDirs(Properties settings) {
        return java.util.Arrays.stream(settings.getProperty("caravan.kamelets.dirs", "").split(","))
                .filter(d -> !d.isBlank()).map(d -> Path.of(d.strip())).toList();
    }

    /**
     * The settings the user gave, without Caravan's defaults: an {@code application.properties}
     * beside the route files (Camel JBang's convention: what {@code camel run} reads), then
     * {@code config/application.properties}, which wins over it, then the command line.
     */
    public static Properties userProperties(RuntimeOptions options, Sources sources) {
        Properties user = new Properties();
        List<Path> files = new ArrayList<>();
        sources.routes().stream().map(r -> r.toAbsolutePath().getParent().resolve("application.properties")).distinct()
                .forEach(files::add);
        files.add(options.configFile());
        for (Path file : files) {
            if (Files.isRegularFile(file)) {
                try (InputStream in = Files.newInputStream(file)) {
                    user.load(in);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file, e);
                }
            }
        }
        user.putAll(options.properties());
        return user;
    }

    private static long seconds(String value, String key) {
        return Durations.parse(value.strip()).map(Duration::toSeconds)
                .orElseThrow(() -> new IllegalArgumentException(key + " must be a duration like 15s or 1m, got '" + value + "'"));
    }

    /**
     * A start-up failure in the seed's terms: when Camel names the route that failed, that is
     * a workflow, and its trigger's binding maps the cause to CONNECTION_FAILED,
     * QUEUE_NOT_FOUND, ... with the broker's own message.
     */
    public Optional<CaravanException> explainStartFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String routeId = t instanceof FailedToStartRouteException f ? f.getRouteId()
                    : t instanceof FailedToCreateRouteException c ? c.getRouteId() : null;
            if (routeId != null) {
                for (CompiledWorkflow cw : workflows) {
                    if (cw.workflow().id().equals(routeId)) {
                        return Optional.of(WorkflowFailures.classify(cw.workflow(), t));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Triggers of different workflows that would be one consumer (see TriggerSources), for validate. */
    public static List<io.caravan.source.Diagnostic> sharedSources(List<Workflow> workflows) {
        WorkflowCompiler compiler = WorkflowCompiler.standard();
        return TriggerSources.clashes(workflows.stream().map(compiler::compile).toList());
    }

    /** A one-line description of where each workflow listens, for the start-up banner. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (CompiledWorkflow cw : workflows) {
            Workflow w = cw.workflow();
            WorkflowNode t = w.trigger();
            String where = switch (t.type()) {
                case WEBHOOK -> "POST http://127.0.0.1:" + httpPort() + "/webhooks/" + w.id();
                case SCHEDULE -> t.config().has(NodeSpecs.Schedule.CRON_FIELD) ? "cron " + t.config().string(NodeSpecs.Schedule.CRON_FIELD)
                        : "every " + t.config().duration(NodeSpecs.Schedule.INTERVAL).toMillis() + " ms";
                case CALL -> "called by workflow nodes";
                default -> t.queueType() + " " + t.address();
            };
            String sends = w.nodes().stream().filter(n -> n.usesBroker() && !n.trigger())
                    .map(n -> n.queueType() + " " + (n.address() != null ? n.address() : "(" + n.config().values().keySet()
                            .stream().filter(k -> !NodeSpecs.of(n.type()).fieldNames().contains(k)).findFirst().orElse("?") + ")"))
                    .collect(Collectors.joining(", "));
            lines.add(w.id() + ": " + where + (sends.isEmpty() ? "" : " -> " + sends) + "  (" + w.sourceFile() + ")");
        }
        return lines;
    }
}
