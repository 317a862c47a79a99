package io.caravan.compile.errors;

import io.caravan.binding.Binding;
import io.caravan.binding.Channel;
import io.caravan.compile.CompileContext;
import io.caravan.workflow.Edge;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import io.caravan.camel.CaravanComponent;
import io.caravan.camel.CaravanLanguage;
import java.util.List;
import java.util.function.Function;
import org.apache.camel.ExchangePattern;
import org.apache.camel.LoggingLevel;
import org.apache.camel.model.ExpressionSubElementDefinition;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.RouteDefinition;

/**
 * Compiles a workflow's {@code error_handling} into the route's {@code onException} clauses:
 * one per node with a retry (its redelivery policy, limited by {@code onWhen: retry(<node>,
 * <codes>)} to failures of that node whose code is in {@code retry_on}), one per node with a
 * dead letter of its own ({@code onWhen: failedIn(<node>)}), and a last one for every other
 * failure. Each clause sends the original message to its dead letter through the broker's own
 * endpoint when one is set, then records the failure ({@code caravan:failed}). Camel redelivers
 * at the point of failure, so a retry repeats only the node's call. The predicates are the
 * {@code caravan} language's ({@link Failures#predicate}).
 */
public final class ErrorHandlerCompiler {

    private ErrorHandlerCompiler() {
    }

    /**
     * @param bindings the brokers dead letters go to; null: this route dead-letters nothing (a
     *                 workflow's call entry, whose failures go back to its caller)
     */
    public static void compile(RouteDefinition route, CompileContext context, boolean replies,
                               Function<String, Binding> bindings) {
        Workflow workflow = context.workflow();
        ErrorHandling.DeadLetter workflowLetter = bindings == null ? null : workflow.errorHandling().deadLetter();
        for (WorkflowNode node : workflow.nodes()) {
            if (!retries(workflow, node) || hasErrorBranch(workflow, node)) {
                continue; // a node with an error branch retries in its own route (retryClause)
            }
            OnExceptionDefinition clause = retryClause(route, node, context);
            steps(clause, context, context.camelId(node, "retry"), replies,
                    bindings == null ? null : workflow.errorHandling(node).deadLetter(), node.id(), bindings);
        }
        // a node with a dead letter of its own: a clause for its other failures
        for (WorkflowNode node : bindings == null ? List.<WorkflowNode>of() : workflow.nodes()) {
            ErrorHandling.DeadLetter own = workflow.errorHandling(node).deadLetter();
            if (own != null && own != workflowLetter) {
                OnExceptionDefinition clause = route.onException(Throwable.class).logExhausted(false);
                clause.onWhen(CaravanLanguage.expression("failedIn(" + node.id() + ")"));
                steps(clause, context, context.camelId(node, "failure"), replies, own, node.id(), bindings);
            }
        }
        OnExceptionDefinition last = route.onException(Throwable.class).logExhausted(false);
        steps(last, context, context.camelId("failure"), replies, workflowLetter, null, bindings);
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
        // the clause needs a step: Camel's YAML DSL reads a route whose onException has none as a
        // route with no outputs
        retryClause(route, node, context)
                .log(LoggingLevel.DEBUG, "io.caravan.run", "node '" + node.id() + "' failed after its retries; its error branch runs")
                .id(context.camelId(node, "retries-exhausted"))
                .end();
        return route;
    }

    private static OnExceptionDefinition retryClause(RouteDefinition route, WorkflowNode node, CompileContext context) {
        ErrorHandling.Retry retry = context.workflow().errorHandling(node).retry();
        OnExceptionDefinition clause = route.onException(Throwable.class);
        clause.onWhen(CaravanLanguage.expression("retry(" + node.id() + ", " + String.join(", ", retry.retryOn()) + ")"));
        clause.maximumRedeliveries(retry.maxAttempts() - 1)
                .redeliveryDelay(retry.initialDelay().toMillis())
                .maximumRedeliveryDelay(retry.maxDelay().toMillis())
                // the wait between attempts is scheduled, not slept on the thread that saw the
                // failure: Camel's default sleeps (CAMEL-2890), so a RabbitMQ connection lost with
                // 788 sends unconfirmed retried them one after another, 200 ms each, for 157 s
                .asyncDelayedRedelivery()
                .retryAttemptedLogLevel(LoggingLevel.WARN)
                .logExhausted(false)
                .onRedeliveryRef(RetriedProcessor.REF);
        if (retry.multiplier() > 1.0) {
            clause.useExponentialBackOff().backOffMultiplier(retry.multiplier());
        }
        if (retry.jitter()) {
            clause.useCollisionAvoidance();
        }
        return clause;
    }

    /**
     * A failure clause's steps: whether the failure counts as handled, the dead letter (when the
     * run came from a broker: {@code deadLetter(..)}), then {@code caravan:failed}.
     * {@code nodeId}: the node whose dead letter this is, null for the workflow's.
     */
    private static void steps(OnExceptionDefinition clause, CompileContext context, String idPrefix, boolean replies,
                              ErrorHandling.DeadLetter deadLetter, String nodeId, Function<String, Binding> bindings) {
        Workflow workflow = context.workflow();
        boolean sends = deadLetter != null && !deadLetter.nativeDlq();
        String which = deadLetter != null && deadLetter.byDefault() ? "default" : "own";
        // handled as a model expression: the YAML dumper drops a handled flag given as a boolean
        clause.setHandled(new ExpressionSubElementDefinition(CaravanLanguage.expression(
                "handled(" + (replies ? "reply" : sends ? which : "none") + ")")));
        String trigger = workflow.trigger().id();
        if (workflow.nodes().stream().anyMatch(n -> n.config().string(io.caravan.workflow.NodeSpecs.COMPENSATE) != null)) {
            // a saga: the nodes that completed are undone, newest first, before the failure goes on
            clause.to(CaravanComponent.SCHEME + ":compensate/" + trigger + "?workflow=" + workflow.id())
                    .id(idPrefix + ".compensate");
        }
        if (sends) {
            Binding binding = bindings.apply(deadLetter.queueType());
            Channel channel = new Channel(workflow.id(), nodeId == null ? "dead-letter" : nodeId,
                    deadLetter.credentialId(), deadLetter.destination(), deadLetter.config());
            FilterDefinition filter = clause.filter(CaravanLanguage.expression("deadLetter(" + which + ")"));
            filter.id(idPrefix + ".dead-letter");
            filter.to(CaravanComponent.SCHEME + ":dead-letter/" + trigger + "?workflow=" + workflow.id())
                    .id(idPrefix + ".letter");
            filter.to(ExchangePattern.InOnly, binding.producerUri(channel)).id(idPrefix + ".dead-letter-send");
            filter.to(CaravanComponent.SCHEME + ":dead-lettered/" + trigger + "?workflow=" + workflow.id()
                    + "&queueType=" + binding.queueType() + "&destination=RAW(" + channel.target(binding.spec()) + ")")
                    .id(idPrefix + ".dead-lettered");
            filter.end();
        }
        clause.to(CaravanComponent.SCHEME + ":failed/" + trigger + "?workflow=" + workflow.id()
                + (replies ? "&replies=true" : "")).id(idPrefix + ".failed");
        clause.end();
    }
}
