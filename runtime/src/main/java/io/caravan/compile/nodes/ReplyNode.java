package io.caravan.compile.nodes;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.binding.ReceivedMessage;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.Runs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Processor;
import org.apache.camel.model.ProcessorDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code reply}: answers the message that started the run, as an RPC server does. The body and
 * attributes are rendered like a send's; {@code caravan:reply} then reads the trigger message's
 * {@code reply_to} and {@code correlation_id} ({@link ReceivedMessage#replyTo}) and sends the
 * answer through the trigger broker's provisioner, on the trigger's credential, waiting for the
 * broker's confirmation. Not a producer endpoint: every client's reply address differs (RabbitMQ's
 * direct reply-to names one per client channel), and an endpoint per address would pile up.
 */
public final class ReplyNode implements NodeCompiler {

    private static final Logger LOG = LoggerFactory.getLogger("io.caravan.run");

    @Override
    public NodeType type() {
        return NodeType.REPLY;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        WorkflowNode trigger = context.workflow().trigger();
        CaravanSteps.enter(node, context, step);
        SendMessageNode.renderMessage(node, context, step);
        step.to(CaravanSteps.uri("reply", node, "workflow=" + context.workflow().id() + "&queueType=" + trigger.queueType()
                + "&credential=" + trigger.credentialId())).id(context.camelId(node, "reply"));
    }

    /** {@code caravan:reply}: sends the rendered answer, or records why there is none. */
    public static Processor reply(String workflowId, String nodeId, String queueType, String credentialId) {
        Binding binding = Bindings.forQueueType(queueType)
                .orElseThrow(() -> new IllegalArgumentException("reply: no broker " + queueType));
        return exchange -> {
            ReceivedMessage request = exchange.getProperty(Messages.RECEIVED, ReceivedMessage.class);
            String replyTo = request == null ? null : request.replyTo();
            Map<String, Object> output = new LinkedHashMap<>();
            if (replyTo == null) {
                output.put("replied", false);
                output.put("reason", "the message that started this run has no reply_to, so there is no one to answer");
                LOG.info("workflow '{}' execution {}: node '{}' did not reply: the message has no reply_to", workflowId,
                        Runs.of(exchange).executionId(), nodeId);
            } else {
                String body = exchange.getMessage().getBody(String.class);
                String id = Bindings.provisioner(exchange.getContext(), binding).reply(exchange.getContext(),
                        new Channel(workflowId, nodeId, credentialId, replyTo, null), request.correlationId(),
                        body == null ? "" : body, Messages.attributes(exchange.getMessage()));
                output.put("replied", true);
                output.put("reply_to", replyTo);
                output.put("correlation_id", request.correlationId());
                output.put("message_id", id);
            }
            Runs.of(exchange).putOutput(nodeId, output);
            Runs.restoreHeaders(exchange);
        };
    }

    /**
     * {@code caravan:request}: a send_message with {@code reply}. Sends the rendered message with
     * a correlation id and where to answer, waits for the answer, and gives the seed's send
     * output plus {@code reply: {body, attributes}} (the body parsed when it is JSON). No answer
     * within the timeout fails the node with REPLY_TIMEOUT.
     */
    public static Processor request(String workflowId, String nodeId, String queueType, String credentialId, String address,
                                    String replyTo, long timeoutMs, io.caravan.compile.RunEvents events) {
        Binding binding = Bindings.forQueueType(queueType)
                .orElseThrow(() -> new IllegalArgumentException("request: no broker " + queueType));
        java.time.Duration timeout = java.time.Duration.ofMillis(timeoutMs);
        return exchange -> {
            String body = exchange.getMessage().getBody(String.class);
            var answer = Bindings.provisioner(exchange.getContext(), binding).request(exchange.getContext(),
                    new Channel(workflowId, nodeId, credentialId, address, null), body == null ? "" : body,
                    Messages.attributes(exchange.getMessage()), replyTo, timeout);
            events.sent(workflowId, nodeId, queueType, address);
            if (answer.isEmpty()) {
                throw new io.caravan.CaravanException(io.caravan.ErrorCode.REPLY_TIMEOUT, "no reply from " + queueType + " "
                        + address + " within " + io.caravan.spec.Durations.format(timeout), nodeId, null);
            }
            Map<String, Object> reply = new LinkedHashMap<>();
            reply.put("body", io.caravan.Json.parseIfJson(answer.get().body()));
            reply.put("attributes", answer.get().attributes());
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("success", true);
            output.put("queue_type", queueType);
            output.put("destination", address);
            output.put("sent_at", Runs.now(exchange).toString());
            output.put("reply", reply);
            Runs.of(exchange).putOutput(nodeId, output);
            Runs.restoreHeaders(exchange);
        };
    }

}
