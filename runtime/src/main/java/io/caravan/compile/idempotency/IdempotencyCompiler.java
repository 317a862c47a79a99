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
 * Compiles a receiving trigger's {@code idempotency} into Camel's idempotentConsumer EIP placed
 * right after the trigger's start processor, around every node of the workflow; a processor
 * after it counts the duplicates that skipped it.
 */
public final class IdempotencyCompiler {

    private IdempotencyCompiler() {
    }

    /**
     * Opens the idempotent block on {@code route} and returns it for the nodes to go in; without
     * an idempotency setting the route itself is returned and nothing is added.
     *
     * <p>A key is recorded only for a run that finished, so that nothing is ever lost:
     * <ul>
     * <li>{@code eager=false}: on arrival the key is only looked up; it is added when the
     * exchange completes. Eager claiming was tried first and lost messages: a process that dies
     * mid-run leaves its claim behind (Redis until the ttl, JDBC for good), and the broker's
     * redelivery is then skipped as a duplicate. The price of not claiming: two copies in flight
     * at the same moment (a trigger keeps many runs in flight; consumers may compete) can both
     * be processed, a duplicate that at-least-once allows.</li>
     * <li>{@code completionEager=false}: the key is added when the whole exchange is done, not
     * when the block ends, so nothing after the block can fail the run after the key was kept.</li>
     * <li>{@code removeOnFailure=true}: harmless without eager claims, and kept so that a
     * failed run can never leave a key behind.</li>
     * </ul>
     */
    public static ProcessorDefinition<?> open(RouteDefinition route, WorkflowNode trigger, CompileContext context) {
        Idempotency settings = trigger.idempotency();
        if (settings == null) {
            return route;
        }
        String key = context.bean(trigger, "idempotency-key", new KeyExpression(Template.parse(settings.key())));
        String repository = context.bean(trigger, "idempotency-repository",
                Repositories.create(settings, context.workflow().id()));
        IdempotentConsumerDefinition block = route.idempotentConsumer(new RefExpression(key));
        block.idempotentRepository(repository);
        block.eager(false).removeOnFailure(true).completionEager(false).skipDuplicate(true);
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
