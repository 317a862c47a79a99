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
     * <p>The repository is written to at three moments, and each setting here is chosen so that
     * a key stays recorded only for a run that finished:
     * <ul>
     * <li>{@code eager=true}: the key is claimed (an atomic add) when the message arrives, so a
     * copy being processed at the same moment by another consumer thread or another Caravan
     * instance is already seen as a duplicate. With {@code eager=false} the key is only looked
     * up on arrival and added at the end: two copies in flight both pass, and both are
     * processed.</li>
     * <li>{@code removeOnFailure=true}: a run that fails (its exception reaches the consumer, so
     * the broker redelivers) gives the key back, so the redelivery is processed. Eager claiming
     * without this would drop that redelivery as a duplicate and lose the message.</li>
     * <li>{@code completionEager=false}: the claim is confirmed or given back when the whole
     * exchange is done, not when the block ends, so nothing after the block can fail the run
     * after the key was kept.</li>
     * </ul>
     * What remains is a process that dies mid-run: its claim stays until the store forgets it
     * (redis: ttl; memory: the process is gone with it; jdbc: until deleted), and the broker's
     * redelivery in the meantime is skipped as a duplicate.
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
