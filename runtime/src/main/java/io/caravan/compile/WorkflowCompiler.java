package io.caravan.compile;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.camel.CaravanLanguage;
import io.caravan.compile.errors.CircuitBreakers;
import io.caravan.compile.errors.ErrorHandlerCompiler;
import io.caravan.compile.idempotency.IdempotencyCompiler;
import io.caravan.compile.nodes.ConditionNode;
import io.caravan.compile.nodes.DelayNode;
import io.caravan.compile.nodes.ForEachNode;
import io.caravan.compile.nodes.HttpNode;
import io.caravan.compile.nodes.LogNode;
import io.caravan.compile.nodes.ParallelNode;
import io.caravan.compile.nodes.ReceiveMessageNode;
import io.caravan.compile.nodes.ScheduleTrigger;
import io.caravan.compile.nodes.SendMessageNode;
import io.caravan.compile.nodes.TransformNode;
import io.caravan.compile.nodes.WebhookTrigger;
import io.caravan.compile.nodes.WorkflowCalls;
import io.caravan.workflow.Edge;
import io.caravan.workflow.Fork;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.StepDefinition;
import org.apache.camel.model.TryDefinition;

/**
 * Turns a validated workflow into one Camel route: the trigger's endpoint, then each node as a
 * {@code step} (id = node id) in execution order, behind a {@code filter} when only some paths
 * through a condition reach it, then a step that records the run's result. A receiving trigger's
 * idempotency puts all of that inside Camel's idempotentConsumer.
 */
public final class WorkflowCompiler {

    private final Function<String, Binding> bindings;
    private final Map<NodeType, TriggerCompiler> triggers = new EnumMap<>(NodeType.class);
    private final Map<NodeType, NodeCompiler> actions = new EnumMap<>(NodeType.class);

    /**
     * Routes report received, sent and failed runs through the {@link RunEvents} in Camel's
     * registry when they run, not through the compiler: what it compiles is the same everywhere.
     */
    public WorkflowCompiler(Function<String, Binding> bindings) {
        this.bindings = bindings;
        ReceiveMessageNode receive = new ReceiveMessageNode();
        for (TriggerCompiler t : List.of(new WebhookTrigger(), new ScheduleTrigger(), new WorkflowCalls.Trigger(), receive)) {
            triggers.put(t.type(), t);
        }
        for (NodeCompiler a : List.of(receive, new SendMessageNode(), new HttpNode(), new ConditionNode(),
                new TransformNode(), new LogNode(), new DelayNode(), new ParallelNode.JoinCompiler(), new WorkflowCalls.Node(),
                new io.caravan.compile.nodes.ReplyNode())) {
            actions.put(a.type(), a);
        }
    }

    /** A compiler over the brokers Caravan ships with. */
    public static WorkflowCompiler standard() {
        return new WorkflowCompiler(queueType -> Bindings.forQueueType(queueType)
                .orElseThrow(() -> new IllegalArgumentException("no binding for queue_type " + queueType)));
    }

    /**
     * Which workflows a workflow node calls (see {@link io.caravan.workflow.CallGraph#calledIds}):
     * one of them whose trigger is not {@code call} gets a second route, its call entry.
     */
    public WorkflowCompiler calledBy(Predicate<String> called) {
        this.called = called;
        return this;
    }

    private Predicate<String> called = id -> false;

    public CompiledWorkflow compile(Workflow workflow) {
        CompileContext context = new CompileContext(workflow, bindings, "");
        WorkflowNode trigger = workflow.trigger();
        RouteDefinition route = route(workflow, context, triggers.get(trigger.type()), workflow.id(), true);
        List<RouteDefinition> routes = new java.util.ArrayList<>();
        if (trigger.type() != NodeType.CALL && called.test(workflow.id())) {
            // called by another workflow too: the same nodes behind a call trigger, in a route of
            // their own whose ids and beans are scoped ".call"; no idempotency, no dead letter
            CompileContext call = new CompileContext(workflow, bindings, "call");
            routes.add(route(workflow, call, new WorkflowCalls.Trigger(), workflow.id() + ".call", false));
            routes.addAll(call.nodeRoutes());
        }
        routes.addAll(context.nodeRoutes());
        return new CompiledWorkflow(workflow, route, routes);
    }

    /**
     * One route of the workflow: the trigger's endpoint, its start, every node, the finish.
     * {@code asWritten} is false for a call entry of a workflow with another trigger: it has
     * neither the trigger's idempotency nor the workflow's dead letters (a failure goes back to
     * the caller).
     */
    private RouteDefinition route(Workflow workflow, CompileContext context, TriggerCompiler triggerCompiler,
                                  String routeId, boolean asWritten) {
        WorkflowNode trigger = workflow.trigger();
        RouteDefinition route = new RouteDefinition();
        route.from(triggerCompiler.fromUri(trigger, context));
        route.getInput().setId(context.camelId(trigger, ""));
        route.routeId(routeId);
        route.routeGroup(workflow.id());
        route.routeDescription(asWritten ? workflow.name() : workflow.name() + " (called by a workflow node)");

        ErrorHandlerCompiler.compile(route, context, triggerCompiler.replies(), asWritten ? bindings : null);

        triggerCompiler.compileStart(trigger, context, route);
        if (trigger.type() == NodeType.RECEIVE_MESSAGE
                && trigger.config().get(NodeSpecs.Receive.CONCURRENCY.name()) instanceof java.util.Map<?, ?> limit) {
            // at most limit runs per key past here: the others wait without a thread (caravan:limit)
            route.setProperty(io.caravan.compile.nodes.ConcurrencyLimit.KEY,
                    CaravanLanguage.expression(String.valueOf(limit.get("key")))).id(context.camelId(trigger, "limit-key"));
            route.to("caravan:limit/" + trigger.id() + "?workflow=" + workflow.id() + "&limit=" + limit.get("limit"))
                    .id(context.camelId(trigger, "limit"));
        }

        // with idempotency, every node runs inside Camel's idempotentConsumer block
        ProcessorDefinition<?> nodes = asWritten ? IdempotencyCompiler.open(route, trigger, context) : route;
        Set<String> all = new HashSet<>();
        workflow.nodes().forEach(n -> all.add(n.id()));
        compileNodes(region(workflow, all), nodes, Set.of(trigger.id()), null, context);
        compensationRoutes(workflow, context);
        nodes.to("caravan:finish/" + trigger.id() + (triggerCompiler.replies() ? "?replies=true" : ""))
                .id(context.camelId("finish"));
        if (asWritten) {
            IdempotencyCompiler.close(route, nodes, trigger, context);
        }
        return route;
    }

    /**
     * Compiles {@code order} (nodes in execution order) into {@code into}: each in its own
     * {@code step}, behind a {@code filter} unless it runs whenever the nodes before it did.
     * {@code succeeded} holds the nodes known to have run without failing when these start.
     * {@code open}, when not null, names the parallel these nodes are a branch of: each node runs
     * only while its join's outcome is open ({@code open(<parallel>)}).
     */
    private void compileNodes(List<WorkflowNode> order, ProcessorDefinition<?> into, Set<String> succeeded,
                              String open, CompileContext context) {
        Workflow workflow = context.workflow();
        Set<String> always = new HashSet<>(succeeded);
        for (WorkflowNode node : order) {
            // a join is reached when its parallel is: its branches ran on copies of the run
            List<Edge> incoming = node.type() == NodeType.JOIN
                    ? List.of(new Edge(workflow.forkOfJoin(node.id()).parallel(), node.id(), null, node.location()))
                    : workflow.incoming(node.id());
            boolean reached = incoming.stream().anyMatch(e -> (e.plain() || e.each()) && always.contains(e.from()));
            boolean errorBranch = workflow.outgoing(node.id()).stream().anyMatch(Edge::error);
            ProcessorDefinition<?> parent = into;
            FilterDefinition branchOpen = null;
            if (open != null) {
                branchOpen = into.filter(CaravanLanguage.expression("open(" + open + ")"));
                branchOpen.id(context.camelId(node, "open"));
                parent = branchOpen;
            }
            FilterDefinition gate = null;
            if (reached && !errorBranch) {
                always.add(node.id());
            } else if (!reached) {
                gate = parent.filter(CaravanLanguage.expression(Reached.condition(incoming)));
                gate.id(context.camelId(node, "reached"));
                parent = gate;
            }
            StepDefinition step = parent.step(context.camelId(node, ""));
            ProcessorDefinition<?> inStep = step;
            TryDefinition attempt = null;
            if (errorBranch) {
                // Camel's error handler does not act inside doTry: the node's failures go to doCatch
                attempt = step.doTry();
                attempt.id(context.camelId(node, "try"));
                inStep = attempt;
            }
            if (node.type() == NodeType.FOR_EACH) {
                List<WorkflowNode> body = region(workflow, workflow.loopBody(node.id()));
                ForEachNode.compile(node, context, inStep, split -> compileNodes(body, split, Set.of(node.id()), null, context));
            } else if (node.type() == NodeType.PARALLEL) {
                Fork fork = workflow.fork(node.id());
                ParallelNode.compile(node, fork, context, inStep, (i, pipeline, parallel) -> compileNodes(
                        region(workflow, fork.branches().get(i)), pipeline, Set.of(node.id()), parallel, context));
            } else {
                if (attempt != null && ErrorHandlerCompiler.retries(workflow, node)) {
                    RouteDefinition retries = ErrorHandlerCompiler.nodeRoute(node, context);
                    inStep.to(retries.getInput().getEndpointUri()).id(context.camelId(node, "attempts"));
                    context.addNodeRoute(retries);
                    inStep = retries;
                }
                ProcessorDefinition<?> body = CircuitBreakers.wrap(node, context, inStep);
                actions.get(node.type()).compile(node, context, body);
                CircuitBreakers.finish(node, context, body, (n, in) -> actions.get(n.type()).compile(n, context, in));
                String compensation = node.config().string(NodeSpecs.COMPENSATE);
                if (compensation != null) {
                    // the node completed: should a later node fail, its compensation runs
                    inStep.to("caravan:completed/" + node.id() + "?workflow=" + workflow.id() + "&compensation="
                            + compensation + "&compensationUri=RAW(" + compensationUri(compensation, context) + ")")
                            .id(context.camelId(node, "completed"));
                }
            }
            if (attempt != null) {
                attempt.doCatch(Throwable.class).id(context.camelId(node, "error"))
                        .to("caravan:caught/" + node.id() + "?workflow=" + workflow.id())
                        .id(context.camelId(node, "caught"));
                attempt.end();
            }
            step.end();
            if (gate != null) {
                gate.end();
            }
            if (branchOpen != null) {
                branchOpen.end();
            }
        }
    }

    /** Where a compensation node's steps run: a route of its own, called by {@code caravan:compensate}. */
    private static String compensationUri(String compensationNode, CompileContext context) {
        return "direct:" + context.camelId(compensationNode + ".compensation");
    }

    /**
     * The routes of the workflow's compensation nodes (a node's {@code compensate}): each runs
     * the node's own steps, on a copy of the failed run, when {@code caravan:compensate} calls it.
     * Its failure goes back to that step, which logs, counts and reports it.
     */
    private void compensationRoutes(Workflow workflow, CompileContext context) {
        for (WorkflowNode node : workflow.nodes()) {
            String target = node.config().string(NodeSpecs.COMPENSATE);
            WorkflowNode compensation = target == null ? null : workflow.node(target).orElse(null);
            if (compensation == null) {
                continue;
            }
            RouteDefinition route = new RouteDefinition();
            route.from(compensationUri(target, context));
            route.routeId(context.camelId(compensation, "compensation"));
            route.routeGroup(workflow.id());
            route.routeDescription("compensation '" + target + "' of node '" + node.id() + "'");
            actions.get(compensation.type()).compile(compensation, context, route);
            context.addNodeRoute(route);
        }
    }

    /**
     * The nodes that run directly in a region ({@code within}: the whole workflow, or one loop's
     * body), in execution order: not the trigger, not the body of a loop inside the region (it runs
     * in that loop's split), not the branches of a parallel inside it (they run in its
     * multicast) and not a fallback node (it runs in the breaker it stands in for).
     */
    private static List<WorkflowNode> region(Workflow workflow, Set<String> within) {
        Set<String> elsewhere = new HashSet<>(CircuitBreakers.fallbackNodes(workflow));
        // compensation nodes run only in their own routes, when a later node fails
        workflow.nodes().stream().map(n -> n.config().string(NodeSpecs.COMPENSATE)).filter(java.util.Objects::nonNull)
                .forEach(elsewhere::add);
        for (WorkflowNode n : workflow.nodes()) {
            if (n.type() == NodeType.FOR_EACH && within.contains(n.id())) {
                elsewhere.addAll(workflow.loopBody(n.id()));
            } else if (n.type() == NodeType.PARALLEL && within.contains(n.id())) {
                elsewhere.addAll(workflow.fork(n.id()).nodes());
            }
        }
        return workflow.executionOrder().stream()
                .filter(n -> within.contains(n.id()) && !n.trigger() && !elsewhere.contains(n.id())).toList();
    }
}
