package io.caravan.compile;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.compile.errors.CircuitBreakers;
import io.caravan.compile.errors.ErrorHandlerCompiler;
import io.caravan.compile.idempotency.IdempotencyCompiler;
import io.caravan.compile.nodes.ConditionNode;
import io.caravan.compile.nodes.DelayNode;
import io.caravan.compile.nodes.HttpNode;
import io.caravan.compile.nodes.LogNode;
import io.caravan.compile.nodes.ReceiveMessageNode;
import io.caravan.compile.nodes.ScheduleTrigger;
import io.caravan.compile.nodes.SendMessageNode;
import io.caravan.compile.nodes.TransformNode;
import io.caravan.compile.nodes.WebhookTrigger;
import io.caravan.workflow.Edge;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.StepDefinition;
import org.apache.camel.model.language.RefExpression;

/**
 * Turns a validated workflow into one Camel route: the trigger's endpoint, then each node as a
 * {@code step} (id = node id) in execution order, behind a {@code filter} when only some paths
 * through a condition reach it, then a step that records the run's result. A receiving trigger's
 * idempotency puts all of that inside Camel's idempotentConsumer.
 */
public final class WorkflowCompiler {

    private final Function<String, Binding> bindings;
    private final RunEvents events;
    private final Map<NodeType, TriggerCompiler> triggers = new EnumMap<>(NodeType.class);
    private final Map<NodeType, NodeCompiler> actions = new EnumMap<>(NodeType.class);

    public WorkflowCompiler(Function<String, Binding> bindings, RunEvents events) {
        this.bindings = bindings;
        this.events = events;
        ReceiveMessageNode receive = new ReceiveMessageNode();
        for (TriggerCompiler t : List.of(new WebhookTrigger(), new ScheduleTrigger(), receive)) {
            triggers.put(t.type(), t);
        }
        for (NodeCompiler a : List.of(receive, new SendMessageNode(), new HttpNode(), new ConditionNode(),
                new TransformNode(), new LogNode(), new DelayNode())) {
            actions.put(a.type(), a);
        }
    }

    /** A compiler over the brokers Caravan ships with. */
    public static WorkflowCompiler standard() {
        return standard(RunEvents.NONE);
    }

    /** A compiler over the brokers Caravan ships with, whose routes report to {@code events}. */
    public static WorkflowCompiler standard(RunEvents events) {
        return new WorkflowCompiler(queueType -> Bindings.forQueueType(queueType)
                .orElseThrow(() -> new IllegalArgumentException("no binding for queue_type " + queueType)), events);
    }

    public CompiledWorkflow compile(Workflow workflow) {
        CompileContext context = new CompileContext(workflow, bindings, events);
        WorkflowNode trigger = workflow.trigger();
        TriggerCompiler triggerCompiler = triggers.get(trigger.type());

        RouteDefinition route = new RouteDefinition();
        route.from(triggerCompiler.fromUri(trigger, context));
        route.getInput().setId(context.camelId(trigger, ""));
        route.routeId(workflow.id());
        route.routeGroup(workflow.id());
        route.routeDescription(workflow.name());

        FailureProcessor failure = new FailureProcessor(workflow, triggerCompiler.replies(), context::classify, events);
        ErrorHandlerCompiler.compile(route, context, triggerCompiler.replies(), context.bean("failed", failure), bindings);

        route.process(context.bean(trigger, "start", triggerCompiler.start(trigger, context))).id(context.camelId(trigger, "start"));

        // with idempotency, every node runs inside Camel's idempotentConsumer block
        ProcessorDefinition<?> nodes = IdempotencyCompiler.open(route, trigger, context);
        Set<String> alwaysReached = new HashSet<>();
        alwaysReached.add(trigger.id());
        Set<String> fallbackNodes = CircuitBreakers.fallbackNodes(workflow);
        for (WorkflowNode node : workflow.executionOrder()) {
            if (node.trigger() || fallbackNodes.contains(node.id())) {
                continue; // a fallback node is compiled inside the breaker it stands in for
            }
            List<Edge> incoming = workflow.incoming(node.id());
            boolean always = incoming.stream().anyMatch(e -> e.when() == null && alwaysReached.contains(e.from()));
            ProcessorDefinition<?> parent = nodes;
            FilterDefinition gate = null;
            if (always) {
                alwaysReached.add(node.id());
            } else {
                String predicate = context.bean(node, "reached", new ReachedPredicate(incoming));
                gate = nodes.filter(new RefExpression(predicate));
                gate.id(context.camelId(node, "reached"));
                parent = gate;
            }
            StepDefinition step = parent.step(context.camelId(node, ""));
            ProcessorDefinition<?> body = CircuitBreakers.wrap(node, context, step);
            actions.get(node.type()).compile(node, context, body);
            CircuitBreakers.finish(node, context, body, (n, into) -> actions.get(n.type()).compile(n, context, into));
            step.end();
            if (gate != null) {
                gate.end();
            }
        }
        nodes.process(context.bean("finish", new FinishProcessor(triggerCompiler.replies()))).id(context.camelId("finish"));
        IdempotencyCompiler.close(route, nodes, trigger, context);
        return new CompiledWorkflow(workflow, route, Map.copyOf(context.beans()));
    }
}
