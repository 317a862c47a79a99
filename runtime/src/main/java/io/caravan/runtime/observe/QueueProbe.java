package io.caravan.runtime.observe;

import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.QueueDepth;
import io.caravan.compile.CompiledWorkflow;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the broker of every source and destination of the running workflows how many messages
 * wait there, once per {@code caravan.metrics.depth-interval}. The answers feed the depth gauges
 * and readiness: a broker that cannot be reached, or a source deeper than its {@code max_depth}.
 */
public final class QueueProbe {

    public static final String DEPTH = "caravan.queue.depth";
    public static final String IN_FLIGHT = "caravan.queue.in.flight";
    public static final String BROKER_UP = "caravan.broker.up";

    private static final Logger LOG = LoggerFactory.getLogger(QueueProbe.class);

    /**
     * One probed address: {@code depth} is null when the probe failed ({@code error} says why)
     * or the address is not a queue.
     */
    public record Result(String workflowId, String nodeId, String queueType, boolean source, String address,
                         Long maxDepth, QueueDepth depth, CaravanException error) {

        String key() {
            return workflowId + "/" + nodeId;
        }

        boolean unreachable() {
            return error != null && error.code() == io.caravan.ErrorCode.CONNECTION_FAILED;
        }

        boolean tooDeep() {
            return maxDepth != null && depth != null && depth.visible() > maxDepth;
        }
    }

    private final CamelContext context;
    private final MeterRegistry registry;
    private final Supplier<List<CompiledWorkflow>> workflows;
    private final Map<String, Result> results = new ConcurrentHashMap<>();
    private final Set<String> gauged = ConcurrentHashMap.newKeySet();
    private volatile boolean probedOnce;

    QueueProbe(CamelContext context, MeterRegistry registry, Supplier<List<CompiledWorkflow>> workflows) {
        this.context = context;
        this.registry = registry;
        this.workflows = workflows;
    }

    /** The latest answer for each probed address. */
    public List<Result> results() {
        return List.copyOf(results.values());
    }

    /** Whether a whole round has finished since start. */
    public boolean probedOnce() {
        return probedOnce;
    }

    /** One round over every running workflow; never throws (it runs on a scheduler). */
    public void probe() {
        try {
            Set<String> seen = new HashSet<>();
            for (CompiledWorkflow cw : workflows.get()) {
                for (Result r : probe(cw.workflow())) {
                    results.put(r.key(), r);
                    seen.add(r.key());
                    gauge(r);
                }
            }
            // workflows undeployed since the last round: their gauges read NaN from now on
            results.keySet().retainAll(seen);
            probedOnce = true;
        } catch (RuntimeException e) {
            LOG.warn("queue probe failed: {}", e.toString());
        }
    }

    private List<Result> probe(Workflow workflow) {
        List<Result> out = new ArrayList<>();
        for (WorkflowNode node : workflow.nodes()) {
            String queueType = node.queueType();
            boolean source = node.type() == NodeType.RECEIVE_MESSAGE;
            String address = node.address();
            if (queueType == null || address == null) {
                continue; // not a broker node, or a RabbitMQ send to an exchange: no queue to ask
            }
            Optional<Binding> binding = Bindings.forQueueType(queueType);
            if (binding.isEmpty()) {
                continue;
            }
            Long maxDepth = source ? node.config().optionalNumber(NodeSpecs.Receive.MAX_DEPTH).orElse(null) : null;
            Channel channel = Channel.of(workflow.id(), node);
            QueueDepth depth = null;
            CaravanException error = null;
            try {
                depth = binding.get().provisioner().depth(context, channel).orElse(null);
            } catch (Exception e) {
                error = binding.get().provisioner().classify(e, channel);
                LOG.debug("depth of {} {} for workflow '{}' node '{}': {}", queueType, address, workflow.id(),
                        node.id(), error.getMessage());
            }
            out.add(new Result(workflow.id(), node.id(), queueType, source, address, maxDepth, depth, error));
        }
        // dead-letter destinations: the workflow's (node "dead_letter") and any a node sets itself
        addDeadLetter(out, workflow, "dead_letter", workflow.errorHandling().deadLetter());
        for (WorkflowNode node : workflow.nodes()) {
            ErrorHandling.DeadLetter own = node.errorHandling().deadLetter();
            addDeadLetter(out, workflow, node.id() + ".dead_letter", own);
        }
        return out;
    }

    private void addDeadLetter(List<Result> out, Workflow workflow, String nodeId, ErrorHandling.DeadLetter dl) {
        if (dl == null || dl.nativeDlq()) {
            return;
        }
        Optional<Binding> binding = Bindings.forQueueType(dl.queueType());
        if (binding.isEmpty()) {
            return;
        }
        Channel channel = new Channel(workflow.id(), nodeId, dl.credentialId(), dl.destination(), dl.config());
        QueueDepth depth = null;
        CaravanException error = null;
        try {
            depth = binding.get().provisioner().depth(context, channel).orElse(null);
        } catch (Exception e) {
            error = binding.get().provisioner().classify(e, channel);
        }
        out.add(new Result(workflow.id(), nodeId, dl.queueType(), false, dl.destination(), null, depth, error));
    }

    /** Registers the gauges of an address once; they read the latest result. */
    private void gauge(Result r) {
        String id = r.key() + "/" + r.address();
        if (!gauged.add(id)) {
            return;
        }
        String key = r.key();
        Tags tags = Tags.of("workflow", r.workflowId(), "node", r.nodeId(), "queue_type", r.queueType(),
                "source", r.source() ? r.address() : "", "destination", r.source() ? "" : r.address());
        Gauge.builder(DEPTH, () -> value(key, r.address(), d -> (double) d.visible()))
                .description("messages waiting in a source or destination (Kafka: the consumer group's lag)")
                .tags(tags).register(registry);
        Gauge.builder(IN_FLIGHT, () -> value(key, r.address(),
                        d -> d.inFlight().isPresent() ? (double) d.inFlight().getAsLong() : Double.NaN))
                .description("messages received from a queue and not yet deleted (SQS only)")
                .tags(tags).register(registry);
        Gauge.builder(BROKER_UP, () -> {
                    Result now = results.get(key);
                    return now == null || !now.address().equals(r.address()) ? Double.NaN : now.unreachable() ? 0 : 1;
                })
                .description("1 when the last depth probe reached the broker, 0 when it could not")
                .tags(Tags.of("workflow", r.workflowId(), "node", r.nodeId(), "queue_type", r.queueType()))
                .register(registry);
    }

    private double value(String key, String address, java.util.function.ToDoubleFunction<QueueDepth> read) {
        Result now = results.get(key);
        if (now == null || now.depth() == null || !now.address().equals(address)) {
            return Double.NaN;
        }
        return read.applyAsDouble(now.depth());
    }
}
