package io.caravan.compile.errors;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.compile.CompileContext;
import io.caravan.compile.Runs;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.WorkflowNode;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.model.CircuitBreakerDefinition;
import org.apache.camel.model.ToDefinition;
import io.caravan.camel.CaravanComponent;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.StepDefinition;
import io.caravan.template.RunContext;
import io.caravan.workflow.Workflow;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.camel.model.Resilience4jConfigurationDefinition;

/**
 * Puts a node's steps inside Camel's {@code circuitBreaker} EIP (resilience4j), configured inline
 * from the node's {@code circuit_breaker} settings so that Camel makes the breaker: its state is on
 * the processor's MBean, and the runtime reads it there for metrics and logs its changes. The
 * breaker inherits the route's error handler, so a node's retries happen inside it and the
 * breaker counts one call per node run, after its retries.
 */
public final class CircuitBreakers {

    private CircuitBreakers() {
    }

    /** The Camel id of a node's breaker, where its processor and state are found. */
    public static String breakerId(CompileContext context, WorkflowNode node) {
        return context.camelId(node, "breaker");
    }

    /** Returns the definition the node's steps go into: the breaker, or {@code step} itself. */
    public static ProcessorDefinition<?> wrap(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        ErrorHandling.CircuitBreaker s = context.workflow().errorHandling(node).circuitBreaker();
        if (s == null) {
            return step;
        }
        CircuitBreakerDefinition breaker = step.circuitBreaker();
        breaker.id(breakerId(context, node));
        breaker.inheritErrorHandler(true);
        Resilience4jConfigurationDefinition config = breaker.resilience4jConfiguration()
                .failureRateThreshold(s.failureRateThreshold())
                .minimumNumberOfCalls(s.minimumCalls())
                .slidingWindowSize(s.slidingWindow())
                // Camel's option is in whole seconds: wait_in_open is rounded up to one
                .waitDurationInOpenState((int) Math.max(1, (s.waitInOpen().toMillis() + 999) / 1000))
                .permittedNumberOfCallsInHalfOpenState(s.halfOpenCalls())
                // half-open after wait_in_open even when no call arrives to trigger it
                .automaticTransitionFromOpenToHalfOpenEnabled(true);
        if (s.timeout() != null) {
            config.timeoutEnabled(true).timeoutDuration((int) s.timeout().toMillis());
        }
        config.end();
        return breaker;
    }

    /**
     * Adds the fallback after the node's steps went into {@code breaker}. A fallback node is
     * compiled here, in its own step inside onFallback, and its output becomes the protected
     * node's output ({@code caravan:fallback-output}), so the nodes after it carry on. Without a
     * fallback node, {@code caravan:fallback} fails the run with CIRCUIT_OPEN or the call's failure.
     */
    public static void finish(WorkflowNode node, CompileContext context, ProcessorDefinition<?> breaker,
                              BiConsumer<WorkflowNode, ProcessorDefinition<?>> compileNode) {
        if (breaker instanceof CircuitBreakerDefinition cb) {
            ErrorHandling.CircuitBreaker settings = context.workflow().errorHandling(node).circuitBreaker();
            WorkflowNode fallbackNode = context.workflow().node(settings.fallback()).orElse(null);
            cb.onFallback();
            // built by hand: cb.to(..).id(..) would rename the node's last step, not this one
            ToDefinition fallback;
            if (fallbackNode != null) {
                StepDefinition step = new StepDefinition();
                step.setId(context.camelId(fallbackNode, ""));
                compileNode.accept(fallbackNode, step);
                cb.addOutput(step);
                fallback = new ToDefinition(CaravanComponent.SCHEME + ":fallback-output/" + node.id() + "?fallback="
                        + fallbackNode.id());
            } else {
                fallback = new ToDefinition(CaravanComponent.SCHEME + ":fallback/" + node.id() + "?fallback=RAW("
                        + settings.fallback() + ")");
            }
            fallback.setId(context.camelId(node, "fallback"));
            cb.addOutput(fallback);
        }
    }

    /** Fallback node names in a workflow: they run only inside a breaker's onFallback. */
    public static Set<String> fallbackNodes(Workflow workflow) {
        Set<String> out = new HashSet<>();
        for (WorkflowNode n : workflow.nodes()) {
            ErrorHandling.CircuitBreaker cb = n.errorHandling().circuitBreaker();
            if (cb != null && workflow.node(cb.fallback()).isPresent()) {
                out.add(cb.fallback());
            }
        }
        return out;
    }

    /** {@code caravan:fallback-output}: the fallback node's output becomes the protected node's, as if it had answered. */
    public static Processor fallbackOutput(String protectedNode, String fallbackNode) {
        return exchange -> {
            RunContext run = Runs.of(exchange);
            run.putOutput(protectedNode, run.output(fallbackNode));
        };
    }

    /**
     * {@code caravan:fallback}: what a node does when its breaker rejects a call or the call fails:
     * fail the run with CIRCUIT_OPEN (an open breaker) or the call's own failure, so the route's
     * error handling (dead letter, webhook answer) takes over.
     */
    public static Processor fallback(String nodeId, String fallback) {
        return exchange -> {
            exchange.setProperty(Runs.NODE, nodeId);
            Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            if (cause == null || cause instanceof CallNotPermittedException
                    || cause.getCause() instanceof CallNotPermittedException) {
                throw new CaravanException(ErrorCode.CIRCUIT_OPEN, "circuit breaker of node '" + nodeId
                        + "' is open; fallback: " + fallback, nodeId, cause);
            }
            throw Failures.classify(exchange, cause, nodeId);
        };
    }
}
