package io.caravan.compile.errors;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.compile.CompileContext;
import io.caravan.compile.Runs;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.WorkflowNode;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.model.CircuitBreakerDefinition;
import org.apache.camel.model.ProcessDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.StepDefinition;
import io.caravan.template.RunContext;
import io.caravan.workflow.Workflow;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BiConsumer;
import org.apache.camel.model.Resilience4jConfigurationDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a node's steps inside Camel's {@code circuitBreaker} EIP (resilience4j). The breaker is
 * Caravan's own resilience4j instance, referred to by name, so that its state changes are
 * logged and readable; Camel exposes its state on the processor's MBean too. The breaker
 * inherits the route's error handler, so a node's retries happen inside it and the breaker
 * counts one call per node run, after its retries.
 */
public final class CircuitBreakers {

    private static final Logger LOG = LoggerFactory.getLogger("io.caravan.breaker");

    private CircuitBreakers() {
    }

    /** Returns the definition the node's steps go into: the breaker, or {@code step} itself. */
    public static ProcessorDefinition<?> wrap(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        ErrorHandling.CircuitBreaker settings = context.workflow().errorHandling(node).circuitBreaker();
        if (settings == null) {
            return step;
        }
        String name = context.bean(node, "breaker", create(context.workflow().id() + "." + node.id(), settings));
        CircuitBreakerDefinition breaker = step.circuitBreaker();
        breaker.id(context.camelId(node, "breaker"));
        breaker.inheritErrorHandler(true);
        Resilience4jConfigurationDefinition config = breaker.resilience4jConfiguration().circuitBreaker(name);
        if (settings.timeout() != null) {
            config.timeoutEnabled(true).timeoutDuration((int) settings.timeout().toMillis());
        }
        config.end();
        return breaker;
    }

    /**
     * Adds the fallback after the node's steps went into {@code breaker}. A fallback node is
     * compiled here, in its own step inside onFallback, and its output becomes the protected
     * node's output, so the nodes after it carry on.
     */
    public static void finish(WorkflowNode node, CompileContext context, ProcessorDefinition<?> breaker,
                              BiConsumer<WorkflowNode, ProcessorDefinition<?>> compileNode) {
        if (breaker instanceof CircuitBreakerDefinition cb) {
            ErrorHandling.CircuitBreaker settings = context.workflow().errorHandling(node).circuitBreaker();
            WorkflowNode fallbackNode = context.workflow().node(settings.fallback()).orElse(null);
            if (fallbackNode != null) {
                StepDefinition step = new StepDefinition();
                step.setId(context.camelId(fallbackNode, ""));
                compileNode.accept(fallbackNode, step);
                ProcessDefinition copy = new ProcessDefinition();
                copy.setRef(context.bean(node, "fallback", new FallbackOutput(node.id(), fallbackNode.id())));
                copy.setId(context.camelId(node, "fallback"));
                cb.onFallback();
                cb.addOutput(step);
                cb.addOutput(copy);
                return;
            }
            // built by hand: cb.process(..).id(..) would rename the node's last step, not this one
            ProcessDefinition fallback = new ProcessDefinition();
            fallback.setRef(context.bean(node, "fallback", new Fallback(node.id(), settings.fallback())));
            fallback.setId(context.camelId(node, "fallback"));
            cb.onFallback();
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

    /** Makes the fallback node's output the protected node's, as if that node had answered. */
    static final class FallbackOutput implements Processor {

        private final String protectedNode;
        private final String fallbackNode;

        FallbackOutput(String protectedNode, String fallbackNode) {
            this.protectedNode = protectedNode;
            this.fallbackNode = fallbackNode;
        }

        @Override
        public void process(Exchange exchange) {
            RunContext run = Runs.of(exchange);
            run.putOutput(protectedNode, run.output(fallbackNode));
        }
    }

    static CircuitBreaker create(String name, ErrorHandling.CircuitBreaker s) {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(s.failureRateThreshold())
                .minimumNumberOfCalls(s.minimumCalls())
                .slidingWindowSize(s.slidingWindow())
                .waitDurationInOpenState(s.waitInOpen())
                .permittedNumberOfCallsInHalfOpenState(s.halfOpenCalls())
                // half-open after wait_in_open even when no call arrives to trigger it
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                .build();
        CircuitBreaker breaker = CircuitBreaker.of(name, config);
        breaker.getEventPublisher().onStateTransition(e -> LOG.warn("circuit breaker {}: {}", name,
                e.getStateTransition()));
        return breaker;
    }

    /**
     * What a node does when its breaker rejects a call or the call fails: fail the run with
     * CIRCUIT_OPEN (an open breaker) or the call's own failure, so the route's error handling
     * (dead letter, webhook answer) takes over.
     */
    static final class Fallback implements Processor {

        private final String nodeId;
        private final String fallback;

        Fallback(String nodeId, String fallback) {
            this.nodeId = nodeId;
            this.fallback = fallback;
        }

        @Override
        public void process(Exchange exchange) {
            exchange.setProperty(Runs.NODE, nodeId);
            Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
            if (cause == null || cause instanceof CallNotPermittedException
                    || cause.getCause() instanceof CallNotPermittedException) {
                throw new CaravanException(ErrorCode.CIRCUIT_OPEN, "circuit breaker of node '" + nodeId
                        + "' is open; fallback: " + fallback, nodeId, cause);
            }
            if (cause instanceof CaravanException ce) {
                throw ce.inNode(nodeId);
            }
            throw new CaravanException(ErrorCode.INTERNAL, String.valueOf(cause.getMessage()), nodeId, cause);
        }
    }
}
