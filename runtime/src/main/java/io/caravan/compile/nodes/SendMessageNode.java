package io.caravan.compile.nodes;

import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.spec.Field;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.ExchangePattern;
import org.apache.camel.model.ProcessorDefinition;

/**
 * {@code send_message}: render the message and attributes, send them with the binding's
 * producer endpoint, record the seed's output. The producer sees only the headers this node
 * sets: the run's other headers are stashed around the send.
 */
public final class SendMessageNode implements NodeCompiler {

    @Override
    public NodeType type() {
        return NodeType.SEND_MESSAGE;
    }

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        Binding binding = context.binding(node);
        Channel channel = context.channel(node);
        // the broker's own classification of a failure needs to know which broker and queue
        step.to(CaravanSteps.uri("enter", node, "workflow=" + context.workflow().id() + "&queueType=" + binding.queueType()
                + (channel.credentialId() == null ? "" : "&credential=" + channel.credentialId())
                + (channel.address() == null ? "" : "&address=RAW(" + channel.address() + ")")))
                .id(context.camelId(node, "enter"));
        renderMessage(node, context, step);
        for (Field field : java.util.List.of(NodeSpecs.Send.DELAY, NodeSpecs.Send.PRIORITY)) {
            if (node.config().has(field)) {
                step.setHeader(Messages.field(field.name()), CaravanSteps.template(node.config().string(field)))
                        .id(context.camelId(node, field.name()));
            }
        }
        for (Field field : binding.spec().sendFields()) {
            if (field.kind() == Field.Kind.TEMPLATE && node.config().has(field)) {
                step.setHeader(Messages.field(field.name()), CaravanSteps.template(node.config().string(field)))
                        .id(context.camelId(node, field.name()));
            }
        }
        step.to(CaravanSteps.uri("text", node, "")).id(context.camelId(node, "text"));
        if (node.config().get("reply") instanceof java.util.Map<?, ?> reply) {
            // request-reply: the answer comes back to this run (caravan:request waits for it)
            Object replyTo = reply.get("reply_to");
            step.to(CaravanSteps.uri("request", node, "workflow=" + context.workflow().id() + "&queueType="
                    + binding.queueType() + "&credential=" + channel.credentialId() + "&address=RAW(" + channel.address()
                    + ")&timeout=" + ((java.time.Duration) reply.get("timeout")).toMillis()
                    + (replyTo == null ? "" : "&replyTo=RAW(" + replyTo + ")"))).id(context.camelId(node, "request"));
            return;
        }
        // InOnly: a webhook exchange is InOut, and request-reply producers would wait for an answer
        step.to(ExchangePattern.InOnly, binding.producerUri(channel)).id(context.camelId(node, "send"));
        step.to(CaravanSteps.uri("sent", node, "workflow=" + context.workflow().id() + "&queueType=" + binding.queueType()
                + "&destination=RAW(" + channel.target(binding.spec()) + ")")).id(context.camelId(node, "output"));
    }

    /**
     * The node's {@code message} as the body and its {@code attributes} as the only headers: the
     * run's other headers wait aside (stash) until the send's output restores them. Shared by
     * send_message and reply.
     */
    static void renderMessage(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        step.to(CaravanSteps.uri("stash", node, "")).id(context.camelId(node, "stash"));
        step.setBody(CaravanSteps.template(node.config().string(NodeSpecs.Send.MESSAGE.name())))
                .id(context.camelId(node, "render"));
        int[] attribute = {0};
        // attributes are plain headers (a name that is a broker's control header is dropped), the
        // broker's own fields are control headers (Messages)
        node.config().stringMap(NodeSpecs.Send.ATTRIBUTES.name()).forEach((name, template) -> {
            if (!BindingSupport.isControlName(name)) {
                step.setHeader(name, CaravanSteps.template(template)).id(context.camelId(node, "attribute-" + attribute[0]++));
            }
        });
    }
}
