package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.binding.ReceivedMessage;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.TriggerCompiler;
import io.caravan.template.RunContext;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;

/**
 * {@code receive_message}. As the first node it is a trigger that consumes its source
 * continuously, one run per message. Later in a workflow it pulls up to {@code max_messages}
 * within {@code wait_time}, with the seed's output shape.
 */
public final class ReceiveMessageNode implements TriggerCompiler, NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.RECEIVE_MESSAGE;
    }

    /**
     * The binding's consumer URI, with {@code inline=true} when no step of the workflow holds its
     * thread ({@link #blocks}): then a message's run starts on the consumer's own thread, since
     * handing it to a worker costs more than such a run (measured on Redis: 0.48x of the raw
     * client's throughput with the hand-off, 0.71x without). A node that sets {@code threads} gets its workers.
     */
    @Override
    public String fromUri(WorkflowNode node, CompileContext context) {
        ErrorHandling.DeadLetter deadLetter = context.workflow().errorHandling(node).deadLetter();
        Binding binding = context.binding(node);
        String uri = binding.consumerUri(context.channel(node), deadLetter != null && deadLetter.nativeDlq());
        return !binding.runsInline() || blocks(context.workflow())
                || node.config().has(io.caravan.binding.BindingSupport.THREADS) ? uri : uri + "&inline=true";
    }

    /**
     * Whether a run of the workflow may wait on its thread: an http call, a delay, a sub-workflow,
     * a pull, a request or a reply, or an idempotency store outside the process. Sends, logs,
     * conditions and transforms never wait on it (a send continues when the broker answers).
     */
    static boolean blocks(io.caravan.workflow.Workflow workflow) {
        for (WorkflowNode n : workflow.nodes()) {
            boolean waits = switch (n.type()) {
                case SEND_MESSAGE -> n.config().has("reply");
                case LOG, CONDITION, TRANSFORM -> false;
                case RECEIVE_MESSAGE -> !n.trigger();
                default -> true;
            };
            if (waits || (n.idempotency() != null && !"memory".equals(n.idempotency().store()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code caravan:receive/<trigger>} with the broker ({@code queueType}), the {@code source} and,
     * when the workflow dead-letters by itself, {@code maxDeliveries}: a message that keeps coming
     * back goes to the dead letter Caravan sends to; without one (or with the broker's own) failing
     * it early would only stop it from ever succeeding.
     */
    @Override
    public void compileStart(WorkflowNode node, CompileContext context, RouteDefinition route) {
        Binding binding = context.binding(node);
        Channel channel = context.channel(node);
        ErrorHandling.DeadLetter deadLetter = context.workflow().errorHandling(node).deadLetter();
        String maxDeliveries = deadLetter != null && !deadLetter.nativeDlq()
                ? "&maxDeliveries=" + node.config().optionalNumber(NodeSpecs.Receive.MAX_DELIVERIES)
                        .orElse((Long) NodeSpecs.Receive.MAX_DELIVERIES.defaultValue()) : "";
        route.to(CaravanSteps.uri("receive", node, "workflow=" + context.workflow().id() + "&queueType="
                + binding.queueType() + "&source=RAW(" + channel.address() + ")" + maxDeliveries))
                .id(context.camelId(node, "start"));
    }

    /** The start of a run of a consumed message, from {@code caravan:receive}'s options. */
    public static Processor start(String workflowId, String nodeId, String queueType, String source, long maxDeliveries,
                                  RunEvents events) {
        return new Start(workflowId, nodeId, queueType, source, events, maxDeliveries);
    }

    /**
     * A pull: {@code caravan:pull/<node>} with the broker, credential, {@code source}, {@code max}
     * messages, {@code waitTime} (ms) and {@code deleteAfter}.
     */
    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        Binding binding = context.binding(node);
        Channel channel = context.channel(node);
        step.to(CaravanSteps.uri("pull", node, "workflow=" + context.workflow().id() + "&queueType=" + binding.queueType()
                + (channel.credentialId() == null ? "" : "&credential=" + channel.credentialId())
                + "&source=RAW(" + channel.address() + ")&max=" + BindingSupport.maxMessages(channel)
                + "&waitTime=" + node.config().duration(NodeSpecs.Receive.WAIT_TIME).toMillis()
                + "&deleteAfter=" + node.config().bool(NodeSpecs.Receive.DELETE_AFTER)))
                .id(context.camelId(node, "pull"));
    }

    /** A pull, from {@code caravan:pull}'s options. */
    public static Processor pull(String workflowId, String nodeId, String queueType, String credential, String source,
                                 int max, long waitMs, boolean deleteAfter) {
        Binding binding = io.caravan.binding.Bindings.forQueueType(queueType)
                .orElseThrow(() -> new IllegalArgumentException("no broker with queue_type " + queueType));
        return new Pull(nodeId, binding, new Channel(workflowId, nodeId, credential, source, null), max,
                java.time.Duration.ofMillis(waitMs), deleteAfter);
    }

    /** One consumed message becomes the run's trigger; every other inbound header is dropped. */
    static final class Start extends NodeProcessor {

        private final String queueType;
        private final String source;
        private final RunEvents events;
        private final long maxDeliveries;

        Start(String workflowId, String nodeId, String queueType, String source, RunEvents events, long maxDeliveries) {
            super(workflowId, nodeId);
            this.queueType = queueType;
            this.source = source;
            this.events = events;
            this.maxDeliveries = maxDeliveries;
        }

        @Override
        public void run(Exchange exchange, RunContext ignored) {
            ReceivedMessage message = Messages.received(exchange);
            RunContext run = new RunContext();
            Map<String, Object> output = message.toOutput();
            Object input = Json.parseIfJson(message.body());
            output.put("body", input);
            output.put("queue_type", queueType);
            output.put("source", source);
            run.startWith(nodeId, output, input);
            io.caravan.tracing.Tracing.begin(exchange, run, workflowId, nodeId, io.opentelemetry.api.trace.SpanKind.CONSUMER,
                    message.attributes());
            Runs.start(exchange, run);
            Object key = message.metadata() == null ? null : message.metadata().get("key");
            String where = queueType + ":" + source
                    + (message.receipt() == null ? "" : " (" + message.receipt() + ")");
            exchange.setProperty(Runs.ORIGINAL, new Runs.Original(message.body(), message.attributes(), where,
                    key == null ? null : key.toString(),
                    message.metadata() != null && message.metadata().get("partition") instanceof Integer p ? p : null,
                    exchange.getIn().getBody() instanceof byte[] bytes ? bytes : null));
            Runs.dropInboundHeaders(exchange);
            events.received(workflowId, nodeId, queueType, source);
            if (message.deliveryCount().isPresent() && message.deliveryCount().getAsInt() > maxDeliveries) {
                throw new CaravanException(ErrorCode.TOO_MANY_DELIVERIES, "message " + message.id() + " was delivered "
                        + message.deliveryCount().getAsInt() + " times, more than max_deliveries " + maxDeliveries
                        + "; dead-lettered without running again", nodeId, null);
            }
        }
    }

    /** The pull action. */
    static final class Pull extends NodeProcessor {

        private final Binding binding;
        private final Channel channel;
        private final int max;
        private final java.time.Duration wait;
        private final boolean deleteAfter;

        Pull(String nodeId, Binding binding, Channel channel, int max, java.time.Duration wait, boolean deleteAfter) {
            super(channel.workflowId(), nodeId);
            this.binding = binding;
            this.channel = channel;
            this.max = max;
            this.wait = wait;
            this.deleteAfter = deleteAfter;
        }

        @Override
        public void run(Exchange exchange, RunContext run) throws Exception {
            List<ReceivedMessage> messages;
            try {
                messages = io.caravan.binding.Bindings.provisioner(exchange.getContext(), binding).pull(exchange.getContext(), channel, max, wait, deleteAfter);
            } catch (Exception e) {
                throw binding.provisioner().classify(e, channel);
            }
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("success", true);
            output.put("message_count", messages.size());
            output.put("messages", messages.stream().map(ReceivedMessage::toOutput).toList());
            output.put("queue_type", binding.queueType());
            output.put("source", channel.address());
            output.put("received_at", Runs.now(exchange).toString());
            run.putOutput(nodeId, output);
        }
    }
}
