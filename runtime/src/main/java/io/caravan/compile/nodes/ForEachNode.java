package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.camel.CaravanPool;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.Runs;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.WorkflowNode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.SplitDefinition;
import org.apache.camel.model.language.ExchangePropertyExpression;

/**
 * {@code for_each}: Camel's {@code split} over the array its {@code items} template gives. Each
 * item runs the loop body on its own copy of the run (see {@link RunContext#child()}), with
 * {@code {{<id>.item}}} and {@code {{<id>.index}}}; each item's last body output lands in its slot
 * of a results array shared by the items, so results keep the items' order at any concurrency.
 * An item's failure (after its node's retries) is recorded, no further item starts (the split
 * streams from an iterator that stops), and the run fails with that failure once the items in
 * flight are done, naming the body node it happened in.
 */
public final class ForEachNode {

    /** Exchange property prefixes: the items to split and the results array, per for_each node. */
    static final String ITEMS = "CaravanItems.";
    static final String RESULTS = "CaravanResults.";

    private ForEachNode() {
    }

    /**
     * Compiles the loop into {@code step}; {@code body} compiles the body's nodes into the
     * split, where each item runs them.
     */
    public static void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step,
                               Consumer<ProcessorDefinition<?>> body) {
        int concurrency = (int) node.config().number(NodeSpecs.ForEach.CONCURRENCY);
        int max = (int) node.config().number(NodeSpecs.ForEach.MAX_ITEMS);
        String id = node.id();
        String wf = "workflow=" + context.workflow().id();
        CaravanSteps.enter(node, context, step);
        step.setBody(CaravanSteps.template(node.config().string(NodeSpecs.ForEach.ITEMS.name())))
                .id(context.camelId(node, "render"));
        step.to(CaravanSteps.uri("items", node, wf + "&max=" + max)).id(context.camelId(node, "items"));
        SplitDefinition split = step.split(new ExchangePropertyExpression(ITEMS + id));
        split.id(context.camelId(node, "each"));
        // streaming: items are taken one by one, so that none starts once one failed
        split.streaming();
        if (concurrency > 1) {
            split.parallelProcessing().executorService(CaravanPool.reference(context.camelId(node, ""), concurrency));
        }
        split.to(CaravanSteps.uri("item", node, wf)).id(context.camelId(node, "item"));
        body.accept(split);
        split.to(CaravanSteps.uri("item-done", node, "nodes=" + String.join(",", context.workflow().loopBody(id))))
                .id(context.camelId(node, "result"));
        split.end();
        step.to(CaravanSteps.uri("loop-done", node, wf)).id(context.camelId(node, "output"));
    }

    /** Takes the items (the body), checks they are an array within max_items, and sets up the results. */
    static final class Items extends NodeProcessor {

        private final int max;

        Items(String workflowId, String nodeId, int max) {
            super(workflowId, nodeId);
            this.max = max;
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            Object value = exchange.getMessage().getBody();
            if (value instanceof String s) {
                value = Json.parseIfJson(s);
            }
            if (!(value instanceof List<?> list)) {
                throw new CaravanException(ErrorCode.BAD_PAYLOAD, "node '" + nodeId + "': items must be an array, got "
                        + describe(value), nodeId, null);
            }
            if (list.size() > max) {
                throw new CaravanException(ErrorCode.BAD_PAYLOAD, "node '" + nodeId + "': items holds " + list.size()
                        + " elements, more than max_items " + max, nodeId, null);
            }
            AtomicReference<CaravanException> failed = Runs.openItemFailures(exchange, nodeId);
            exchange.setProperty(ITEMS + nodeId, (Iterable<Object>) () -> new java.util.Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return next < list.size() && failed.get() == null;
                }

                @Override
                public Object next() {
                    return list.get(next++);
                }
            });
            exchange.setProperty(RESULTS + nodeId, new Object[list.size()]);
        }

        private static String describe(Object value) {
            if (value == null) {
                return "null";
            }
            if (value instanceof Map<?, ?>) {
                return "an object";
            }
            return value instanceof String ? "a string" : value instanceof Number ? "a number"
                    : value instanceof Boolean ? "true/false" : value.getClass().getSimpleName();
        }
    }

    /** First step of an item: its own copy of the run, in which the for_each's output is the item. */
    static final class Item extends NodeProcessor {

        Item(String workflowId, String nodeId) {
            super(workflowId, nodeId);
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            int index = exchange.getProperty(ExchangePropertyKey.SPLIT_INDEX, Integer.class);
            RunContext item = run.child();
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("item", exchange.getIn().getBody());
            output.put("index", index);
            item.putOutput(nodeId, output);
            Runs.startCopy(exchange, item, nodeId);
        }
    }

    /** Last step of an item: the output of the body node that ran last is the item's result. */
    static final class Result implements org.apache.camel.Processor {

        private final String nodeId;
        private final Set<String> body;

        Result(String nodeId, Set<String> body) {
            this.nodeId = nodeId;
            this.body = Set.copyOf(body);
        }

        @Override
        public void process(Exchange exchange) {
            RunContext item = Runs.of(exchange);
            String last = item.lastRanOf(body);
            Object result = last == null ? null : item.output(last);
            Object[] results = exchange.getProperty(RESULTS + nodeId, Object[].class);
            results[exchange.getProperty(ExchangePropertyKey.SPLIT_INDEX, Integer.class)] = result;
        }
    }

    /** After the loop: {@code {"count", "results"}} is the for_each's output. */
    static final class Output extends NodeProcessor {

        Output(String workflowId, String nodeId) {
            super(workflowId, nodeId);
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            CaravanException failed = Runs.closeItemFailures(exchange, nodeId);
            exchange.removeProperty(ITEMS + nodeId);
            Object[] results = (Object[]) exchange.removeProperty(RESULTS + nodeId);
            if (failed != null) {
                throw failed;
            }
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("count", results.length);
            output.put("results", Arrays.asList(results));
            run.putOutput(nodeId, output);
        }
    }
}
