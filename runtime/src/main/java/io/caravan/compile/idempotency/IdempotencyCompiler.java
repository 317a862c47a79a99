package io.caravan.compile.idempotency;

import io.caravan.compile.CompileContext;
import io.caravan.template.Template;
import io.caravan.workflow.Idempotency;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.IdempotentConsumerDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.language.RefExpression;

/**
 * Compiles a receiving trigger's {@code idempotency} into an in-flight guard and Camel's
 * idempotentConsumer EIP placed right after the trigger's start processor, around every node of
 * the workflow; a processor after it counts the duplicates that skipped it.
 */
public final class IdempotencyCompiler {

    private IdempotencyCompiler() {
    }

    /**
     * Opens the idempotent block on {@code route} and returns it for the nodes to go in; without
     * an idempotency setting the route itself is returned and nothing is added.
     *
     * <p>A key is claimed when a run starts and recorded only when it finished, so that two
     * copies never both run and nothing is ever lost:
     * <ul>
     * <li>the {@link InFlightGuard} before the block lets one copy per key in at a time within
     * this instance; a second copy waits for the first and is then skipped (or runs, if the first
     * failed);</li>
     * <li>{@code eager=true}: the block claims the key on arrival. The memory store needs no more
     * than the guard; Redis and JDBC claim with a lease that the run renews and a dead instance's
     * claim outlives by at most one lease ({@link LeasedRepository}). Claims without leases were
     * tried first and lost messages: a process that died mid-run left its claim behind, and the
     * broker's redelivery was skipped as a duplicate;</li>
     * <li>{@code completionEager=false}: the key is recorded when the whole exchange is done, not
     * when the block ends, so nothing after the block can fail the run after the key was kept;</li>
     * <li>{@code removeOnFailure=true}: a failed run (dead-lettered ones included) drops its claim,
     * so the broker's redelivery runs.</li>
     * </ul>
     */
    public static ProcessorDefinition<?> open(RouteDefinition route, WorkflowNode trigger, CompileContext context) {
        Idempotency settings = trigger.idempotency();
        if (settings == null) {
            return route;
        }
        KeyExpression expression = new KeyExpression(Template.parse(settings.key()));
        String key = context.bean(trigger, "idempotency-key", expression);
        String repository = context.bean(trigger, "idempotency-repository",
                Repositories.create(settings, context.workflow().id()));
        route.process(context.bean(trigger, "in-flight", new InFlightGuard(expression,
                context.workflow().id() + "." + trigger.id()))).id(context.camelId(trigger, "in-flight"));
        IdempotentConsumerDefinition block = route.idempotentConsumer(new RefExpression(key));
        block.idempotentRepository(repository);
        block.eager(true).removeOnFailure(true).completionEager(false).skipDuplicate(true);
        block.id(context.camelId(trigger, "idempotency"));
        return block;
    }

    /** Closes the block {@link #open} returned and adds the duplicate count after it. */
    public static void close(RouteDefinition route, ProcessorDefinition<?> block, WorkflowNode trigger,
                             CompileContext context) {
        if (block == route) {
            return;
        }
        block.end();
        route.process(context.bean(trigger, "duplicate", new DuplicateProcessor(context.workflow().id(), trigger.id(),
                context.events()))).id(context.camelId(trigger, "duplicate"));
    }
}
