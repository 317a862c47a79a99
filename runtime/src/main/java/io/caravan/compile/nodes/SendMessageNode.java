package io.caravan.compile.nodes;

import io.caravan.binding.Binding;
import io.caravan.spec.Field;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.camel.Exchange;
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
        context.classifier(node.id(), e -> binding.provisioner().classify(e, channel));
        Map<String, Template> fields = new LinkedHashMap<>();
        for (Field field : binding.spec().sendFields()) {
            if (field.kind() == Field.Kind.TEMPLATE && node.config().has(field)) {
                fields.put(field.name(), context.template(node, field.name()));
            }
        }
        Prepare prepare = new Prepare(node.id(), binding, channel, context.template(node, NodeSpecs.Send.MESSAGE.name()),
                context.templates(node, NodeSpecs.Send.ATTRIBUTES.name()), fields);
        step.process(context.bean(node, "", prepare)).id(context.camelId(node, "render"));
        // InOnly: a webhook exchange is InOut, and request-reply producers would wait for an answer
        step.to(ExchangePattern.InOnly, binding.producerUri(channel)).id(context.camelId(node, "send"));
        step.process(context.bean(node, "output", new Output(node.id(), binding, channel, context.events()))).id(context.camelId(node, "output"));
    }

    static final class Prepare extends NodeProcessor {

        private final Template message;
        private final Map<String, Template> attributes;
        private final Map<String, Template> fields;

        Prepare(String nodeId, Binding binding, Channel channel, Template message, Map<String, Template> attributes,
                Map<String, Template> fields) {
            super(channel.workflowId(), nodeId);
            this.message = message;
            this.attributes = attributes;
            this.fields = fields;
        }

        @Override
        public void run(Exchange exchange, RunContext run) {
            String body = message.render(run);
            Map<String, String> renderedAttributes = render(attributes, run);
            Map<String, String> renderedFields = render(fields, run);
            Runs.stashHeaders(exchange);
            exchange.getIn().setBody(body);
            // attributes are plain headers, the broker's own fields control headers (Messages)
            renderedAttributes.forEach((name, value) -> {
                if (!BindingSupport.isControlName(name)) {
                    exchange.getIn().setHeader(name, value);
                }
            });
            renderedFields.forEach((name, value) -> exchange.getIn().setHeader(Messages.field(name), value));
        }

        private static Map<String, String> render(Map<String, Template> templates, RunContext run) {
            Map<String, String> out = new LinkedHashMap<>();
            templates.forEach((k, t) -> out.put(k, t.render(run)));
            return out;
        }
    }

    static final class Output extends NodeProcessor {

        private final Binding binding;
        private final Channel channel;
        private final RunEvents events;

        Output(String nodeId, Binding binding, Channel channel, RunEvents events) {
            super(channel.workflowId(), nodeId);
            this.binding = binding;
            this.channel = channel;
            this.events = events;
        }

        @Override
        public void run(Exchange exchange, RunContext run) {
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("success", true);
            output.put("message_id", exchange.getMessage().getHeader(Messages.MESSAGE_ID, String.class));
            output.put("queue_type", binding.queueType());
            output.put("destination", channel.target(binding.spec()));
            output.put("sent_at", Instant.now().toString());
            run.putOutput(nodeId, output);
            Runs.restoreHeaders(exchange);
            events.sent(workflowId, nodeId, binding.queueType(), (String) output.get("destination"));
        }
    }
}
