package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.TriggerCompiler;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * {@code webhook}: an HTTP POST at {@code /webhooks/<workflow-id>} on the hub's one HTTP server
 * (platform-http). The caller waits and gets the run's result.
 */
public final class WebhookTrigger implements TriggerCompiler {

    @Override
    public NodeType type() {
        return NodeType.WEBHOOK;
    }

    @Override
    public String fromUri(WorkflowNode node, CompileContext context) {
        return "platform-http:/webhooks/" + context.workflow().id() + "?httpMethodRestrict=POST";
    }

    @Override
    public Processor start(WorkflowNode node, CompileContext context) {
        return new Start(context.workflow().id(), node.id(), context.events());
    }

    @Override
    public boolean replies() {
        return true;
    }

    /** Takes the request's body and headers as data, then drops every inbound header. */
    static final class Start extends NodeProcessor {

        private final RunEvents events;

        Start(String workflowId, String nodeId, RunEvents events) {
            super(workflowId, nodeId);
            this.events = events;
        }

        /**
         * `curl -d '{...}'` without a Content-Type posts JSON as a form, which arrives as one
         * field named by the JSON text (split wherever it held '&' or '='): say so, not guess.
         */
        private void rejectJsonSentAsForm(Map<?, ?> form) {
            if (form.size() == 1) {
                Map.Entry<?, ?> only = form.entrySet().iterator().next();
                String key = String.valueOf(only.getKey()).strip();
                Object value = only.getValue();
                if ((key.startsWith("{") || key.startsWith("[")) && (value == null || value.toString().isEmpty())) {
                    throw new CaravanException(ErrorCode.BAD_PAYLOAD, "the body looks like JSON but was sent as"
                            + " application/x-www-form-urlencoded (curl -d does that): send it with"
                            + " Content-Type: application/json", nodeId, null);
                }
            }
        }

        @Override
        public void run(Exchange exchange, RunContext ignored) {
            RunContext run = new RunContext();
            Map<String, Object> headers = new LinkedHashMap<>();
            exchange.getIn().getHeaders().forEach((name, value) -> {
                // Camel* headers are the HTTP engine's own bookkeeping, not the caller's headers
                if (!name.regionMatches(true, 0, "Camel", 0, 5)) {
                    headers.put(name.toLowerCase(Locale.ROOT), value == null ? null : value.toString());
                }
            });
            Object raw = exchange.getIn().getBody();
            String text;
            Object body;
            if (raw instanceof Map<?, ?> form) {
                // platform-http parses application/x-www-form-urlencoded into a map of fields
                rejectJsonSentAsForm(form);
                Map<String, Object> fields = new LinkedHashMap<>();
                form.forEach((k, v) -> fields.put(String.valueOf(k), v == null ? null : v.toString()));
                body = fields;
                text = Json.write(fields);
            } else {
                text = exchange.getIn().getBody(String.class);
                body = Json.parseIfJson(text);
            }
            exchange.setProperty(Runs.ORIGINAL, new Runs.Original(text, Map.of(), "webhook:/webhooks/" + workflowId, null, null));
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("id", run.executionId());
            output.put("body", body);
            output.put("headers", headers);
            output.put("timestamp", Instant.now().toString());
            run.startWith(nodeId, output, body);
            Runs.start(exchange, run);
            Runs.dropInboundHeaders(exchange);
            events.received(workflowId, nodeId, "webhook", "/webhooks/" + workflowId);
        }
    }
}
