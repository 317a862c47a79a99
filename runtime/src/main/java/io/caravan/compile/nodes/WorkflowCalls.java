package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.TriggerCompiler;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.model.EnrichDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.language.ConstantExpression;

/**
 * Sub-workflows. A workflow with a {@code call} trigger consumes from its own {@code direct:}
 * endpoint ({@link #endpoint}); a {@code workflow} node calls it there. A workflow with another
 * trigger that some workflow calls has a second route on that endpoint, its call entry (see
 * {@link io.caravan.compile.WorkflowCompiler#calledBy}). Sync, through Camel's
 * {@code enrich}: the called route runs on a copy of the caller's exchange (so neither run's
 * bookkeeping touches the other's) and answers as a webhook does, {@code {"status", "output"}} or
 * {@code {"status": "failed", "error"}}; the aggregation puts the output on the caller's exchange
 * or fails the caller's node, on the enrich itself, so that the node's retries call again.
 * Async, through {@code wireTap}: the called run goes on by itself on another thread, and the
 * node's output is the execution id it was given.
 */
public final class WorkflowCalls {

    /** Exchange properties: how deep calls nest here, and who calls (for the called run). */
    static final String DEPTH = "CaravanCallDepth";
    public static final String CALLER = "CaravanCaller";
    /** Key in the caller map: the calling node's trace context, when tracing is on. */
    private static final String TRACE = "trace";
    private static final String OUTPUT = "CaravanCallOutput.";

    private WorkflowCalls() {
    }

    /** The endpoint a called workflow consumes from. */
    public static String endpoint(String workflowId) {
        return "direct:caravan.workflow." + workflowId;
    }

    /** The {@code call} trigger. */
    public static final class Trigger implements TriggerCompiler {

        @Override
        public NodeType type() {
            return NodeType.CALL;
        }

        @Override
        public String fromUri(WorkflowNode node, CompileContext context) {
            return endpoint(context.workflow().id());
        }

        @Override
        public void compileStart(WorkflowNode node, CompileContext context, org.apache.camel.model.RouteDefinition route) {
            route.to(CaravanSteps.uri("call-start", node, "workflow=" + context.workflow().id()))
                    .id(context.camelId(node, "start"));
        }

        @Override
        public boolean replies() {
            return true;
        }
    }

    /**
     * Starts the called run: its input is the body the caller set, its trigger output names the
     * caller. The exchange is the caller's copy, so the caller's own run bookkeeping (its run,
     * node, loop, fork) is dropped here, all but the call depth.
     */
    public static final class Start extends NodeProcessor {

        private final RunEvents events;

        public Start(String workflowId, String nodeId, RunEvents events) {
            super(workflowId, nodeId);
            this.events = events;
        }

        @Override
        protected void run(Exchange exchange, RunContext ignored) {
            @SuppressWarnings("unchecked")
            Map<String, Object> caller = (Map<String, Object>) exchange.getProperty(CALLER, Map.class);
            Object depth = exchange.getProperty(DEPTH);
            for (String key : List.copyOf(exchange.getProperties().keySet())) {
                if (key.startsWith("Caravan") && !key.equals(DEPTH) && !key.equals(Runs.NODE)) {
                    exchange.removeProperty(key);
                }
            }
            exchange.removeProperty(Runs.REDELIVERIES);
            exchange.setProperty(DEPTH, depth);
            Object input = exchange.getIn().getBody();
            RunContext run = new RunContext(caller == null ? null : (String) caller.get("execution_id_given"));
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("id", run.executionId());
            // a workflow with another trigger, called, reads its input where its trigger puts it
            output.put("body", input);
            output.put("headers", Map.of());
            Map<String, Object> from = new LinkedHashMap<>(caller == null ? Map.of() : caller);
            from.remove("execution_id_given");
            from.remove(TRACE);
            output.put("caller", from);
            run.startWith(nodeId, output, input);
            @SuppressWarnings("unchecked")
            Map<String, String> trace = caller == null ? null : (Map<String, String>) caller.get(TRACE);
            io.caravan.tracing.Tracing.begin(exchange, run, workflowId, nodeId, io.opentelemetry.api.trace.SpanKind.INTERNAL, trace);
            exchange.setProperty(Runs.ORIGINAL, new Runs.Original(Json.write(input), Map.of(), endpoint(workflowId), null, null));
            Runs.start(exchange, run);
            Runs.dropInboundHeaders(exchange);
            events.received(workflowId, nodeId, "call", endpoint(workflowId));
        }
    }

    /** The {@code workflow} node. */
    public static final class Node implements NodeCompiler {

        @Override
        public NodeType type() {
            return NodeType.WORKFLOW;
        }

        @Override
        public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
            String target = node.config().string(NodeSpecs.Call.WORKFLOW_ID);
            boolean async = "async".equals(node.config().string(NodeSpecs.Call.MODE));
            String wf = context.workflow().id();
            CaravanSteps.enter(node, context, step);
            String input = node.config().string(NodeSpecs.Call.INPUT.name());
            step.setBody(CaravanSteps.template(input == null ? "{{input}}" : input)).id(context.camelId(node, "render"));
            String query = "workflow=" + wf + "&target=" + target + (async ? "&mode=async" : "");
            step.to(CaravanSteps.uri("call", node, query)).id(context.camelId(node, "input"));
            if (async) {
                step.wireTap(endpoint(target)).id(context.camelId(node, "start"));
            } else {
                EnrichDefinition enrich = new EnrichDefinition();
                enrich.setExpression(new ConstantExpression(endpoint(target)));
                enrich.setAggregationStrategy("#class:" + Reply.class.getName() + "('" + node.id() + "', '" + target + "')");
                enrich.id(context.camelId(node, "run"));
                step.addOutput(enrich);
            }
            step.to(CaravanSteps.uri("called", node, query)).id(context.camelId(node, "output"));
        }
    }

    /** The body (the rendered input) is the called run's input; one level deeper; names the caller. */
    public static final class Prepare extends NodeProcessor {

        private final String target;
        private final boolean async;

        public Prepare(String workflowId, String nodeId, String target, boolean async) {
            super(workflowId, nodeId);
            this.target = target;
            this.async = async;
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            int depth = exchange.getProperty(DEPTH, 0, Integer.class);
            if (depth >= NodeSpecs.Call.MAX_DEPTH) {
                throw new CaravanException(ErrorCode.INTERNAL, "node '" + nodeId + "': calling workflow '" + target
                        + "' would nest calls more than " + NodeSpecs.Call.MAX_DEPTH + " deep", nodeId, null);
            }
            Object value = exchange.getMessage().getBody();
            if (value instanceof String s) {
                value = Json.parseIfJson(s);
            }
            Map<String, Object> caller = new LinkedHashMap<>();
            caller.put("workflow_id", workflowId);
            caller.put("execution_id", run.executionId());
            caller.put("node", nodeId);
            if (async) {
                // the called run's id, known to the caller before the run starts
                caller.put("execution_id_given", UUID.randomUUID().toString());
            }
            if (run.trace() != null) {
                // the called run continues the caller's trace under this node
                caller.put(TRACE, run.trace().headers());
            }
            exchange.setProperty(CALLER, caller);
            exchange.setProperty(DEPTH, depth + 1);
            exchange.getMessage().setBody(value);
        }
    }

    /**
     * The enrich's aggregation: the called run's answer becomes the caller's node output, or
     * its failure, set on the caller's exchange so the node's retries call again.
     */
    public static final class Reply implements AggregationStrategy {

        private final String nodeId;
        private final String target;

        public Reply(String nodeId, String target) {
            this.nodeId = nodeId;
            this.target = target;
        }

        @Override
        public Exchange aggregate(Exchange caller, Exchange called) {
            if (called == null) {
                return caller;
            }
            Exception failure = called.getException();
            if (failure instanceof CaravanException) {
                caller.setException(failure);
                return caller;
            }
            if (failure != null) {
                caller.setException(new CaravanException(ErrorCode.INTERNAL, "node '" + nodeId + "': calling workflow '"
                        + target + "' failed: " + failure.getMessage(), nodeId, failure));
                return caller;
            }
            Object answer = Json.parseIfJson(called.getMessage().getBody(String.class));
            if (!(answer instanceof Map<?, ?> reply)) {
                caller.setException(new CaravanException(ErrorCode.INTERNAL, "node '" + nodeId + "': workflow '" + target
                        + "' gave no answer", nodeId, null));
                return caller;
            }
            if ("completed".equals(reply.get("status"))) {
                caller.setProperty(OUTPUT + nodeId, reply.get("output"));
                return caller;
            }
            Map<?, ?> error = reply.get("error") instanceof Map<?, ?> e ? e : Map.of();
            ErrorCode code;
            try {
                code = ErrorCode.valueOf(String.valueOf(error.get("code")));
            } catch (IllegalArgumentException e) {
                code = ErrorCode.INTERNAL;
            }
            caller.setException(new CaravanException(code, "node '" + nodeId + "': workflow '" + target + "' failed in"
                    + " node '" + error.get("node") + "': " + error.get("message"), nodeId, null));
            return caller;
        }
    }

    /** The node's output: the called workflow's (sync) or the called run's execution id (async). */
    public static final class Output extends NodeProcessor {

        private final boolean async;

        public Output(String workflowId, String nodeId, boolean async) {
            super(workflowId, nodeId);
            this.async = async;
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            int depth = exchange.getProperty(DEPTH, 1, Integer.class);
            exchange.setProperty(DEPTH, depth - 1);
            @SuppressWarnings("unchecked")
            Map<String, Object> caller = (Map<String, Object>) exchange.removeProperty(CALLER);
            if (async) {
                run.putOutput(nodeId, Map.of("execution_id", caller.get("execution_id_given")));
            } else {
                run.putOutput(nodeId, exchange.removeProperty(OUTPUT + nodeId));
            }
        }
    }
}
