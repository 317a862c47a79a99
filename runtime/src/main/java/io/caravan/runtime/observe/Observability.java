package io.caravan.runtime.observe;

import io.caravan.compile.CompiledWorkflow;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.caravan.spec.Durations;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.component.resilience4j.ResilienceProcessor;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires metrics and health into one camel-main runtime: Caravan's meters go into the Prometheus
 * registry that camel-micrometer-prometheus serves at {@code camel.metrics.path} on the
 * management port, a readiness check goes into Camel's HealthCheckRegistry, and /health and
 * /ready are added to the management server.
 *
 * <p>camel-main docs (https://camel.apache.org/components/next/others/main.html, "Camel Embedded
 * HTTP Server (only for standalone, not Spring Boot or Quarkus)" and "Camel Micrometer Metrics"):
 * {@code camel.management.enabled/port/metricsEnabled/healthCheckEnabled} start the separate
 * management server; {@code camel.metrics.enabled} makes camel-micrometer-prometheus bind a
 * PrometheusMeterRegistry as {@code metricsRegistry}, or use the one already bound under that
 * name (MicrometerPrometheus.doInit via MicrometerUtils.getMeterRegistryFromCamelRegistry) —
 * which is how Caravan's and Camel's own route metrics end up in one scrape.
 */
public final class Observability extends MainListenerSupport {

    public static final String IN_FLIGHT = "caravan.messages.in.flight";
    public static final String BREAKER_STATE = "caravan.circuit.breaker.state";
    public static final String SCHEDULE_LEADER = "caravan.schedule.leader";
    private final Set<String> leaderGauges = ConcurrentHashMap.newKeySet();
    private final java.util.Set<String> breakerGauges = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Breakers whose state changes are logged; a reloaded route's old breaker drops out. */
    private final Set<CircuitBreaker> loggedBreakers =
            java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
    private static final Logger BREAKER_LOG = LoggerFactory.getLogger("io.caravan.breaker");
    /** Registry name camel-micrometer(-prometheus) looks up (MicrometerConstants.METRICS_REGISTRY_NAME). */
    static final String REGISTRY_NAME = "metricsRegistry";

    private static final Logger LOG = LoggerFactory.getLogger(Observability.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final RunMetrics runMetrics = new RunMetrics(registry);
    private final Supplier<List<CompiledWorkflow>> workflows;
    private final Duration depthInterval;
    private final Set<String> inflightGauges = ConcurrentHashMap.newKeySet();
    private QueueProbe probe;

    /**
     * @param workflows     the workflows running now (read at every probe round, so reloads count)
     * @param depthInterval {@code caravan.metrics.depth-interval}, e.g. 15s
     */
    public Observability(Supplier<List<CompiledWorkflow>> workflows, String depthInterval) {
        this.workflows = workflows;
        this.depthInterval = Durations.parse(depthInterval).filter(d -> !d.isZero() && !d.isNegative())
                .orElseThrow(() -> new IllegalArgumentException("caravan.metrics.depth-interval must be "
                        + Durations.FORM + ", got \"" + depthInterval + "\""));
    }

    /** The counters compiled routes report to, and error handling increments. */
    public RunMetrics runMetrics() {
        return runMetrics;
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The depth probe; null before the runtime has started. */
    public QueueProbe probe() {
        return probe;
    }

    @Override
    public void beforeConfigure(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        context.getRegistry().bind(REGISTRY_NAME, registry);
        context.getManagementStrategy().addEventNotifier(new StepDurations(registry));
        // a startup listener, not MainListener.afterStart: Main.start() (used by tests and
        // embedders) starts the context without calling the afterStart listeners
        try {
            context.addStartupListener(new StartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext c, boolean alreadyStarted) {
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext c, boolean alreadyStarted) {
                    started(c);
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot watch the Camel context start: " + e.getMessage(), e);
        }
    }

    private void started(CamelContext context) {
        if (context.getRegistry().lookupByName(REGISTRY_NAME) != registry) {
            LOG.warn("another meter registry is bound as '{}': Caravan's metrics are not in its scrape", REGISTRY_NAME);
        }
        probe = new QueueProbe(context, registry, workflows);
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            QueuesHealthCheck check = new QueuesHealthCheck(probe);
            check.setCamelContext(context);
            health.register(check);
        }
        if (!ProbeEndpoints.install(context)) {
            LOG.info("camel.management.enabled is false: no /metrics, /health or /ready");
        }
        // a Camel thread pool: the context shuts it down when it stops
        ScheduledExecutorService scheduler = context.getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "CaravanQueueProbe");
        scheduler.scheduleWithFixedDelay(() -> round(context), 0, depthInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * {@code caravan_circuit_breaker_state}: 0 closed, 1 open, 2 half-open, 3 another state
     * (disabled, forced open, metrics only). The gauge reads the breaker of the route running
     * now (Camel makes it from the route's inline settings), so a reloaded workflow's new breaker
     * is the one reported; its state changes are logged once it has started.
     */
    private void breakerGauges(CamelContext context, CompiledWorkflow cw) {
        String workflowId = cw.workflow().id();
        for (var node : cw.workflow().nodes()) {
            if (cw.workflow().errorHandling(node).circuitBreaker() == null) {
                continue;
            }
            String id = workflowId + "." + node.id() + ".breaker";
            if (breakerGauges.add(id)) {
                Gauge.builder(BREAKER_STATE, () -> breakerState(context, id))
                        .description("circuit breaker of a node: 0 closed, 1 open, 2 half-open, 3 other")
                        .tag("workflow", workflowId).tag("node", node.id()).register(registry);
            }
            ResilienceProcessor processor = context.getProcessor(id, ResilienceProcessor.class);
            CircuitBreaker breaker = processor == null ? null : processor.getCircuitBreaker();
            if (breaker != null && loggedBreakers.add(breaker)) {
                breaker.getEventPublisher().onStateTransition(e -> BREAKER_LOG.warn("circuit breaker {}: {}", id,
                        e.getStateTransition()));
            }
        }
    }

    private static double breakerState(CamelContext context, String id) {
        ResilienceProcessor processor = context.getProcessor(id, ResilienceProcessor.class);
        CircuitBreaker breaker = processor == null ? null : processor.getCircuitBreaker();
        if (breaker == null) {
            return Double.NaN;
        }
        return switch (breaker.getState()) {
            case CLOSED -> 0;
            case OPEN -> 1;
            case HALF_OPEN -> 2;
            default -> 3;
        };
    }

    /** Meters for workflows deployed since the last round, then the depth probe. */
    private void round(CamelContext context) {
        try {
            for (CompiledWorkflow cw : workflows.get()) {
                String id = cw.workflow().id();
                runMetrics.register(cw.workflow());
                breakerGauges(context, cw);
                if (cw.workflow().trigger().type() == io.caravan.workflow.NodeType.SCHEDULE && leaderGauges.add(id)) {
                    // NaN while the workflow is stopped or gone
                    Gauge.builder(SCHEDULE_LEADER, context, c -> io.caravan.runtime.cluster.Leadership.of(c, id)
                                    .map(leads -> leads ? 1.0 : 0.0).orElse(Double.NaN))
                            .description("1 while this instance fires the workflow's schedule (it leads its cluster namespace), 0 while another does")
                            .tag("workflow", id).register(registry);
                }
                if (inflightGauges.add(id)) {
                    Gauge.builder(IN_FLIGHT, context, c -> c.getInflightRepository().size(id))
                            .description("exchanges of a workflow being processed now (Camel's InflightRepository)")
                            .tag("workflow", id).register(registry);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("registering workflow meters failed: {}", e.toString());
        }
        probe.probe();
    }
}
