package io.caravan.runtime.observe;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.StepCompletedEvent;
import org.apache.camel.spi.CamelEvent.StepEvent;
import org.apache.camel.spi.CamelEvent.StepFailedEvent;
import org.apache.camel.spi.CamelEvent.StepStartedEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Times every workflow node from Camel's step events: each node compiles to a {@code step}
 * whose id is {@code <workflow-id>.<node-id>}, and Camel's StepProcessor emits StepStarted when
 * the step begins and StepCompleted or StepFailed when it is done (camel-core-processor
 * StepProcessor.process, via EventHelper.notifyStep*). Camel notifiers ignore step events by
 * default (SimpleEventNotifierSupport's constructor ignores them), so this one turns them on
 * and everything else off.
 */
final class StepDurations extends EventNotifierSupport {

    public static final String DURATION = "caravan.node.duration";
    private static final String STARTED = "CaravanStepStarted.";

    private final MeterRegistry registry;
    /** Timers by step id: building and registering one per event costs more than the timing. */
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    StepDurations(MeterRegistry registry) {
        this.registry = registry;
        setupIgnore(true);
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(false);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof StepEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        if (!(event instanceof StepEvent step)) {
            return;
        }
        Exchange exchange = step.getExchange();
        // steps of one exchange may nest in hand-written routes: one start time per step id
        String key = STARTED + step.getStepId();
        if (event instanceof StepStartedEvent) {
            exchange.setProperty(key, System.nanoTime());
        } else if (event instanceof StepCompletedEvent || event instanceof StepFailedEvent) {
            Long started = exchange.getProperty(key, Long.class);
            exchange.removeProperty(key);
            String routeId = exchange.getFromRouteId();
            String stepId = step.getStepId();
            if (started == null || routeId == null || !stepId.startsWith(routeId + ".")) {
                return; // not a workflow node
            }
            timers.computeIfAbsent(stepId, id -> timer(routeId, id.substring(routeId.length() + 1)))
                    .record(Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private Timer timer(String workflowId, String nodeId) {
        return Timer.builder(DURATION).description("time a workflow node took, whether it succeeded or failed")
                .tag("workflow", workflowId).tag("node", nodeId)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
    }
}
