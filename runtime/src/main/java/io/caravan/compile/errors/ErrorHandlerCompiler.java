package io.caravan.compile.errors;

import io.caravan.binding.Binding;
import io.caravan.binding.Channel;
import io.caravan.compile.CompileContext;
import io.caravan.workflow.Edge;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.camel.LoggingLevel;
import org.apache.camel.model.ExpressionSubElementDefinition;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.language.RefExpression;

/**
 * Compiles a workflow's {@code error_handling} into the route's {@code onException} clauses:
 * one per node with a retry (its redelivery policy, limited by {@code onWhen} to failures of
 * that node whose code is in {@code retry_on}), and a last one for every other failure. Each
 * clause dead-letters the original message when a dead letter is set, then records the
 * failure. Camel redelivers at the point of failure, so a retry repeats only the node's call.
 */
public final class ErrorHandlerCompiler {

    private ErrorHandlerCompiler() {
    }

    /**
     * @param failed the bean name of the processor that logs the failure and answers a webhook
     * @param bindings the brokers dead letters go to; null: this route dead-letters nothing (a
     *                 workflow's call entry, whose failures go back to its caller)
     */
    public static void compile(RouteDefinition route, CompileContext context, boolean replies, String failed,
                               Function<String, Binding> bindings) {
        Workflow workflow = context.workflow();
        Map<String, DeadLetterProcessor.Target> targets = new LinkedHashMap<>();
        for (WorkflowNode node : bindings == null ? List.<WorkflowNode>of() : workflow.nodes()) {
            DeadLetterProcessor.Target t = target(workflow, node.id(), workflow.errorHandling(node).deadLetter(), bindings);
            if (t != null) {
                targets.put(node.id(), t);
            }
        }
        DeadLetterProcessor.Target workflowTarget = bindings == null ? null
                : target(workflow, null, workflow.errorHandling().deadLetter(), bindings);
        DeadLetterProcessor deadLetterProcessor = targets.isEmpty() && workflowTarget == null ? null
                : new DeadLetterProcessor(workflow.id(), targets, workflowTarget, context::classify, context.events());
        String deadLetter = deadLetterProcessor == null ? null : context.bean("dead-letter", deadLetterProcessor);
        String handled = context.bean("handled", new HandledPredicate(replies, deadLetterProcessor));
        String retried = context.bean("retried", new RetriedProcessor(workflow.id(), context.events()));

        for (WorkflowNode node : workflow.nodes()) {
            if (!retries(workflow, node) || hasErrorBranch(workflow, node)) {
                continue; // a node with an error branch retries in its own route (retryClause)
            }
            OnExceptionDefinition clause = retryClause(route, node, context, retried);
            steps(clause, context, context.camelId(node, "retry"), handled, deadLetter, failed);
        }
        OnExceptionDefinition last = route.onException(Throwable.class).logExhausted(false);
        steps(last, context, context.camelId("failure"), handled, deadLetter, failed);
    }

    /**
     * Whether the node is retried: it has a retry of 2 attempts or more. A for_each, a parallel
     * and a join never are: the nodes inside them are.
     */
    public static boolean retries(Workflow workflow, WorkflowNode node) {
        ErrorHandling.Retry retry = workflow.errorHandling(node).retry();
        return !node.trigger() && retry != null && retry.maxAttempts() >= 2
                && !java.util.EnumSet.of(NodeType.FOR_EACH, NodeType.PARALLEL, NodeType.JOIN).contains(node.type());
    }

    private static boolean hasErrorBranch(Workflow workflow, WorkflowNode node) {
        return workflow.outgoing(node.id()).stream().anyMatch(Edge::error);
    }

    /**
     * The route a node with an error branch and retries runs in, called from its doTry: its
     * route-scoped clause retries the node's failures in {@code retry_on} and then leaves the
     * failure unhandled, so that it reaches the doCatch (Camel's error handler does not act
     * inside doTry itself). Returns the route, whose steps the node's compiler adds.
     */
    public static RouteDefinition nodeRoute(WorkflowNode node, CompileContext context) {
        RouteDefinition route = new RouteDefinition();
        route.from("direct:" + context.camelId(node, "retries"));
        route.routeId(context.camelId(node, "retries"));
        route.routeGroup(context.workflow().id());
        route.routeDescription("retries of node '" + node.id() + "' before its error branch");
        String retried = context.bean(node, "retried", new RetriedProcessor(context.workflow().id(), context.events()));
        // the clause needs a step: Camel's YAML DSL reads a route whose onException has none as a
        // route with no outputs
        retryClause(route, node, context, retried)
                .log(LoggingLevel.DEBUG, "io.caravan.run", "node '" + node.id() + "' failed after its retries; its error branch runs")
                .id(context.camelId(node, "retries-exhausted"))
                .end();
        return route;
    }

    private static OnExceptionDefinition retryClause(RouteDefinition route, WorkflowNode node, CompileContext context,
                                                     String retried) {
        ErrorHandling.Retry retry = context.workflow().errorHandling(node).retry();
        OnExceptionDefinition clause = route.onException(Throwable.class);
        clause.onWhen(new RefExpression(context.bean(node, "retryable",
                new RetryablePredicate(node.id(), retry.retryOn(), context::classify))));
        clause.maximumRedeliveries(retry.maxAttempts() - 1)
                .redeliveryDelay(retry.initialDelay().toMillis())
                .maximumRedeliveryDelay(retry.maxDelay().toMillis())
                // the wait between attempts is scheduled, not slept on the thread that saw the
                // failure: Camel's default sleeps (CAMEL-2890), so a RabbitMQ connection lost with
                // 788 sends unconfirmed retried them one after another, 200 ms each, for 157 s
                .asyncDelayedRedelivery()
                .retryAttemptedLogLevel(LoggingLevel.WARN)
                .logExhausted(false)
                .onRedeliveryRef(retried);
        if (retry.multiplier() > 1.0) {
            clause.useExponentialBackOff().backOffMultiplier(retry.multiplier());
        }
        if (retry.jitter()) {
            clause.useCollisionAvoidance();
        }
        return clause;
    }

    private static void steps(OnExceptionDefinition clause, CompileContext context, String idPrefix, String handled,
                              String deadLetter, String failed) {
        // handled as a model expression: the YAML dumper drops a handled flag given as a boolean
        clause.setHandled(new ExpressionSubElementDefinition(new RefExpression(handled)));
        if (deadLetter != null) {
            clause.process(deadLetter).id(idPrefix + ".dead-letter");
        }
        clause.process(failed).id(idPrefix + ".failed");
        clause.end();
    }

    private static DeadLetterProcessor.Target target(Workflow workflow, String nodeId, ErrorHandling.DeadLetter dl,
                                                     Function<String, Binding> bindings) {
        if (dl == null) {
            return null;
        }
        if (dl.nativeDlq()) {
            return new DeadLetterProcessor.Target(null, null, true, false);
        }
        Binding binding = bindings.apply(dl.queueType());
        return new DeadLetterProcessor.Target(binding, new Channel(workflow.id(), nodeId == null ? "dead-letter" : nodeId,
                dl.credentialId(), dl.destination(), dl.config()), false, dl.byDefault());
    }
}
