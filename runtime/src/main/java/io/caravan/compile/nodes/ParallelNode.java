package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.camel.CaravanPool;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.Runs;
import io.caravan.template.RunContext;
import io.caravan.workflow.Fork;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.WorkflowNode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.model.MulticastDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.processor.aggregate.UseOriginalAggregationStrategy;

/**
 * {@code parallel} and its {@code join}: Camel's {@code multicast} with parallel processing, one
 * pipeline per branch. Each branch runs on its own copy of the run (like a for_each item) and,
 * when it ends, puts its last node's output in its slot of the fork's state; the join reads the
 * slots. A branch's failure (after its node's retries, when no error branch took it) is recorded
 * in the branch, not thrown: a failed multicast pipeline would leave the run's exchange
 * "exhausted" and Camel would then skip the route's error handling, so the join throws it on the
 * run's exchange instead, where retries, dead letter and the answer happen once.
 *
 * <p>Once the join's outcome is known (wait all: a branch failed; wait any: a branch finished)
 * the other branches start no further node; nodes already running finish first, since the
 * multicast waits for its pipelines. A join {@code timeout} is the multicast's: past it the run
 * goes on without the slow branches, the join fails with TIMEOUT, and the slow branches start
 * no further node.
 */
public final class ParallelNode {

    /** Exchange property prefix: the {@link State} of a fork, per parallel node. */
    static final String FORK = "CaravanFork.";

    private ParallelNode() {
    }

    /**
     * Compiles the fork into {@code step}; {@code branch} compiles branch {@code i}'s nodes into
     * a pipeline of the multicast, each behind the gate {@code open(<parallel>)}.
     */
    public static void compile(WorkflowNode node, Fork fork, CompileContext context, ProcessorDefinition<?> step,
                               Branch branch) {
        WorkflowNode join = context.workflow().node(fork.join()).orElseThrow();
        boolean any = "any".equals(join.config().string(NodeSpecs.Join.WAIT));
        Duration timeout = join.config().duration(NodeSpecs.Join.TIMEOUT);
        String wf = "workflow=" + context.workflow().id();
        CaravanSteps.enter(node, context, step);
        step.to(CaravanSteps.uri("fork", node, wf + "&branches=" + fork.starts().size() + (any ? "&wait=any" : "")))
                .id(context.camelId(node, "open"));
        MulticastDefinition multicast = step.multicast();
        multicast.id(context.camelId(node, "branches"));
        multicast.parallelProcessing().executorService(CaravanPool.reference(context.camelId(node, ""), fork.starts().size()));
        // the run's exchange goes on as it was (the branches' results are in the fork's state):
        // Camel's default, UseLatest, would copy a branch's run over it
        multicast.aggregationStrategy("#class:" + UseOriginalAggregationStrategy.class.getName());
        if (timeout != null) {
            multicast.timeout(timeout.toMillis());
        }
        for (int i = 0; i < fork.starts().size(); i++) {
            ProcessorDefinition<?> pipeline = multicast.pipeline();
            pipeline.id(context.camelId(node, "branch-" + fork.starts().get(i)));
            pipeline.to(CaravanSteps.uri("branch", node, wf))
                    .id(context.camelId(node, "branch-" + fork.starts().get(i) + ".start"));
            branch.compile(i, pipeline, node.id());
            pipeline.to(CaravanSteps.uri("branch-done", node, "nodes=" + String.join(",", fork.branches().get(i))))
                    .id(context.camelId(node, "branch-" + fork.starts().get(i) + ".end"));
            pipeline.end();
        }
        multicast.end();
    }

    /** Compiles one branch's nodes into its pipeline, each behind the gate {@code open(<parallel>)}. */
    @FunctionalInterface
    public interface Branch {
        void compile(int index, ProcessorDefinition<?> pipeline, String parallelId);
    }

    /** What the branches of one run's fork share: their results, the first failure, the winner. */
    static final class State {
        final boolean any;
        final Object[] results;
        final String[] last;
        final boolean[] finished;
        final AtomicReference<CaravanException> failure;
        final AtomicInteger winner = new AtomicInteger(-1);
        volatile boolean closed;

        State(int branches, boolean any, AtomicReference<CaravanException> failure) {
            this.any = any;
            this.results = new Object[branches];
            this.last = new String[branches];
            this.finished = new boolean[branches];
            this.failure = failure;
        }

        /** Whether a branch may start its next node: the join's outcome is not known yet. */
        boolean open() {
            return !closed && (any ? winner.get() < 0 : failure.get() == null);
        }

        /** Records a branch that ended, unless the join's outcome is already known. */
        synchronized void finish(int branch, String lastNode, Object result) {
            if (closed || (!any && failure.get() != null)) {
                return; // a failure or a timeout cut this branch short
            }
            last[branch] = lastNode;
            results[branch] = result;
            finished[branch] = true;
            winner.compareAndSet(-1, branch);
        }
    }

    /** Sets up the fork's state on the run's exchange; the parallel's own output names its branches. */
    static final class Open extends NodeProcessor {

        private final int branches;
        private final boolean any;

        Open(String workflowId, String nodeId, int branches, boolean any) {
            super(workflowId, nodeId);
            this.branches = branches;
            this.any = any;
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            exchange.setProperty(FORK + nodeId, new State(branches, any, Runs.openItemFailures(exchange, nodeId)));
            run.putOutput(nodeId, Map.of("branches", branches));
        }
    }

    /** First step of a branch: its own copy of the run, whose failures are recorded for the join. */
    static final class BranchStart extends NodeProcessor {

        BranchStart(String workflowId, String nodeId) {
            super(workflowId, nodeId);
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            RunContext branch = run.child();
            State state = exchange.getProperty(FORK + nodeId, State.class);
            branch.gate(nodeId, state::open);
            Runs.startCopy(exchange, branch, nodeId);
        }
    }

    /** Last step of a branch: the output of its node that ran last is the branch's result. */
    static final class BranchEnd implements org.apache.camel.Processor {

        private final String parallelId;
        private final Set<String> nodes;

        BranchEnd(String parallelId, Set<String> nodes) {
            this.parallelId = parallelId;
            this.nodes = Set.copyOf(nodes);
        }

        @Override
        public void process(Exchange exchange) {
            State state = exchange.getProperty(FORK + parallelId, State.class);
            RunContext branch = Runs.of(exchange);
            String last = branch.lastRanOf(nodes);
            if (last != null) {
                state.finish(exchange.getProperty(ExchangePropertyKey.MULTICAST_INDEX, Integer.class), last,
                        branch.output(last));
            }
        }
    }

    /** Compiles a join node: the step that reads its fork's state. */
    public static final class JoinCompiler implements io.caravan.compile.NodeCompiler {

        @Override
        public io.caravan.workflow.NodeType type() {
            return io.caravan.workflow.NodeType.JOIN;
        }

        @Override
        public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
            Fork fork = context.workflow().forkOfJoin(node.id());
            Duration timeout = node.config().duration(NodeSpecs.Join.TIMEOUT);
            CaravanSteps.enter(node, context, step);
            step.to(CaravanSteps.uri("join", node, "workflow=" + context.workflow().id() + "&parallel=" + fork.parallel()
                    + "&starts=" + String.join(",", fork.starts()) + (timeout == null ? "" : "&timeout=" + timeout.toMillis())))
                    .id(context.camelId(node, "join"));
        }
    }

    /**
     * The join: its output maps each finished branch's last node to that node's output (wait
     * any: the first branch to finish). It fails with the branches' first failure (wait all, or
     * wait any when no branch finished) or with TIMEOUT.
     */
    public static final class Join extends NodeProcessor {

        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger("io.caravan.run");

        private final String parallelId;
        private final List<String> starts;
        private final Duration timeout;

        /** @param starts the first node of each branch, in the parallel's edge order */
        public Join(String workflowId, String nodeId, String parallelId, List<String> starts, Duration timeout) {
            super(workflowId, nodeId);
            this.parallelId = parallelId;
            this.starts = List.copyOf(starts);
            this.timeout = timeout;
        }

        @Override
        protected void run(Exchange exchange, RunContext run) {
            State state = (State) exchange.removeProperty(FORK + parallelId);
            CaravanException failed = Runs.closeItemFailures(exchange, parallelId);
            Map<String, Object> output = new LinkedHashMap<>();
            synchronized (state) {
                state.closed = true;
                if (state.any && state.winner.get() >= 0) {
                    int w = state.winner.get();
                    output.put(state.last[w], state.results[w]);
                    if (failed != null) {
                        LOG.warn("workflow '{}' join '{}' goes on with the branch from '{}'; another branch failed in"
                                + " node '{}': {}", workflowId, nodeId, starts.get(w), failed.node(), failed.code());
                    }
                } else {
                    if (failed != null) {
                        throw failed;
                    }
                    for (int i = 0; i < starts.size(); i++) {
                        if (!state.finished[i]) {
                            throw new CaravanException(ErrorCode.TIMEOUT, "node '" + nodeId + "': the branch from '"
                                    + starts.get(i) + "' of parallel '" + parallelId + "' did not finish within "
                                    + (timeout == null ? "its time" : timeout.toMillis() + " ms"), nodeId, null);
                        }
                        output.put(state.last[i], state.results[i]);
                    }
                }
            }
            run.putOutput(nodeId, output);
        }
    }
}
