package io.caravan.compile.idempotency;

import io.caravan.compile.CompileContext;
import io.caravan.camel.CaravanComponent;
import io.caravan.camel.CaravanLanguage;
import io.caravan.workflow.Idempotency;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.IdempotentConsumerDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.language.ExchangePropertyExpression;

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
        String wf = context.workflow().id();
        // the key once, in a property: the in-flight guard and the block read it there
        route.setProperty(KEY, CaravanLanguage.expression(settings.key())).id(context.camelId(trigger, "idempotency-key"));
        route.to(CaravanComponent.SCHEME + ":in-flight/" + trigger.id() + "?workflow=" + wf)
                .id(context.camelId(trigger, "in-flight"));
        IdempotentConsumerDefinition block = route.idempotentConsumer(new ExchangePropertyExpression(KEY));
        block.idempotentRepository(repository(settings, context));
        block.eager(true).removeOnFailure(true).completionEager(false).skipDuplicate(true);
        block.id(context.camelId(trigger, "idempotency"));
        return block;
    }

    /** The exchange property holding the run's idempotency key. */
    public static final String KEY = "CaravanIdempotencyKey";

    /**
     * The repository as {@code #class:} {@link Store}, which Camel makes. Validation allowed no
     * secret here but as an environment reference ({@code ${NAME}}), so printing it prints none.
     */
    private static String repository(Idempotency s, CompileContext context) {
        return "#class:" + Store.class.getName() + "('" + s.store() + "', '" + context.workflow().id() + "', "
                + s.maxEntries() + ", " + (s.ttl() == null ? 0 : s.ttl().toMillis()) + ", "
                + (s.lease() == null ? 0 : s.lease().toMillis()) + ", '" + text(s.table()) + "', '" + text(s.url()) + "', '"
                + text(s.user()) + "', '" + text(s.password()) + "')";
    }

    private static String text(String value) {
        return value == null ? "" : value;
    }

    /** Closes the block {@link #open} returned and adds the duplicate count after it. */
    public static void close(RouteDefinition route, ProcessorDefinition<?> block, WorkflowNode trigger,
                             CompileContext context) {
        if (block == route) {
            return;
        }
        block.end();
        route.to(CaravanComponent.SCHEME + ":duplicate/" + trigger.id() + "?workflow=" + context.workflow().id())
                .id(context.camelId(trigger, "duplicate"));
    }

    /** {@code caravan:in-flight}: see {@link InFlightGuard}. */
    public static org.apache.camel.AsyncProcessor inFlight(String workflowId, String triggerId) {
        return new InFlightGuard(org.apache.camel.support.builder.ExpressionBuilder.exchangePropertyExpression(KEY),
                workflowId + "." + triggerId);
    }

    /** {@code caravan:duplicate}: see {@link DuplicateProcessor}. */
    public static org.apache.camel.Processor duplicate(String workflowId, String triggerId, io.caravan.compile.RunEvents events) {
        return new DuplicateProcessor(workflowId, triggerId, events);
    }
}
