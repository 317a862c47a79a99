package io.caravan.compile.nodes;

import io.caravan.workflow.NodeSpecs;

import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.TriggerCompiler;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.camel.Exchange;
import org.apache.camel.support.SynchronizationAdapter;
import org.apache.camel.Processor;
import io.caravan.Json;
import org.apache.camel.model.RouteDefinition;

/**
 * {@code schedule}: a Quartz cron trigger or a fixed-interval timer. The run's input is the
 * node's {@code payload} (an empty object when none is given).
 */
public final class ScheduleTrigger implements TriggerCompiler {

    @Override
    public NodeType type() {
        return NodeType.SCHEDULE;
    }

    /**
     * {@code master:<namespace>:<timer or quartz>}: camel-master starts the timer only on the
     * instance that leads the namespace in Caravan's cluster service ({@code caravan.cluster.*},
     * see io.caravan.runtime.cluster.ClusterSettings), so a tick fires once across all instances.
     */
    @Override
    public String fromUri(WorkflowNode node, CompileContext context) {
        String name = context.workflow().id();
        String timer;
        if (node.config().has("cron")) {
            String cron = URLEncoder.encode(node.config().string("cron"), StandardCharsets.UTF_8);
            // camel-quartz reads a cron trigger's zone from trigger.timeZone (the JVM's when absent)
            String zone = node.config().has(NodeSpecs.Schedule.TIMEZONE.name())
                    ? "&trigger.timeZone=" + node.config().string(NodeSpecs.Schedule.TIMEZONE.name()) : "";
            timer = "quartz:caravan/" + name + "?cron=" + cron + zone;
        } else {
            timer = "timer:" + name + "?period=" + node.config().duration("interval").toMillis();
        }
        return "master:" + clusterNamespace(name) + ":" + timer;
    }

    /**
     * The cluster namespace of a workflow's schedule: {@code schedule-<id>}, lower case, with
     * characters a Kubernetes Lease name or a file name cannot hold replaced by '-' and, when any
     * was, a hash of the id appended so that two ids never share one.
     */
    public static String clusterNamespace(String workflowId) {
        String safe = workflowId.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
        if (!safe.equals(workflowId)) {
            safe += "-" + Integer.toHexString(workflowId.hashCode());
        }
        return "schedule-" + safe;
    }

    /**
     * {@code caravan:schedule/<trigger>} with the payload as JSON ({@code payload}), or as base64
     * of it ({@code payloadBase64}) when it holds what Camel would read as a property placeholder
     * or that would end a RAW() value, or any character outside printable ASCII; {@code overlap=allow} when set.
     */
    @Override
    public void compileStart(WorkflowNode node, CompileContext context, RouteDefinition route) {
        Object payload = node.config().has("payload") ? node.config().get("payload") : Map.of();
        String json = Json.write(payload);
        boolean plain = json.chars().allMatch(c -> c >= 0x20 && c < 0x7f);
        String encoded = !plain || json.contains("{{") || json.contains("}}") || json.contains(")")
                ? "payloadBase64=" + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8))
                : "payload=RAW(" + json + ")";
        boolean allow = "allow".equals(node.config().string(NodeSpecs.Schedule.OVERLAP.name()));
        route.to(CaravanSteps.uri("schedule", node, "workflow=" + context.workflow().id() + "&" + encoded
                + (allow ? "&overlap=allow" : ""))).id(context.camelId(node, "start"));
    }

    /** The start of a schedule's run: its input is {@code payload}, or {@code payloadBase64} decoded (see {@link #compileStart}). */
    public static Processor start(String workflowId, String nodeId, String payload, String payloadBase64, boolean skip,
                                  RunEvents events) {
        String json = payloadBase64 == null ? payload
                : new String(java.util.Base64.getUrlDecoder().decode(payloadBase64), StandardCharsets.UTF_8);
        return new Start(workflowId, nodeId, Json.parseIfJson(json), events, skip);
    }

    static final class Start extends NodeProcessor {

        private final Object payload;
        private final RunEvents events;
        private final boolean skip;
        /** overlap: skip: whether a run of this schedule is going now. */
        private final AtomicBoolean running = new AtomicBoolean();

        Start(String workflowId, String nodeId, Object payload, RunEvents events, boolean skip) {
            super(workflowId, nodeId);
            this.payload = payload;
            this.events = events;
            this.skip = skip;
        }

        @Override
        public void run(Exchange exchange, RunContext ignored) {
            if (skip) {
                if (!running.compareAndSet(false, true)) {
                    // the previous run is still going (a slow step, an asynchronous delay): this tick is skipped
                    events.scheduleSkipped(workflowId, nodeId);
                    exchange.setRouteStop(true);
                    return;
                }
                exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
                    @Override
                    public void onDone(Exchange done) {
                        running.set(false);
                    }
                });
            }
            RunContext run = new RunContext();
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("id", run.executionId());
            output.put("body", payload);
            output.put("timestamp", Runs.now(exchange).toString());
            run.startWith(nodeId, output, payload);
            io.caravan.tracing.Tracing.begin(exchange, run, workflowId, nodeId, io.opentelemetry.api.trace.SpanKind.INTERNAL, null);
            Runs.start(exchange, run);
            Runs.dropInboundHeaders(exchange);
            events.received(workflowId, nodeId, "schedule", workflowId);
        }
    }
}
