package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.compile.CompileContext;
import io.caravan.compile.FinishProcessor;
import io.caravan.compile.NodeProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.TriggerCompiler;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import io.caravan.webhook.WebhookAuth;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.model.RouteDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code webhook}: an HTTP POST at {@code /webhooks/<workflow-id>} on the hub's one HTTP server
 * (platform-http). The caller waits and gets the run's result.
 */
public final class WebhookTrigger implements TriggerCompiler {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookTrigger.class);

    @Override
    public NodeType type() {
        return NodeType.WEBHOOK;
    }

    @Override
    public String fromUri(WorkflowNode node, CompileContext context) {
        return "platform-http:/webhooks/" + context.workflow().id() + "?httpMethodRestrict=POST";
    }

    /**
     * {@code caravan:webhook/<trigger>}, with the node's {@code auth} (its type, credential id,
     * headers and tolerance; never a secret: the guard finds the credential by id when it runs),
     * {@code allowed_ips} and {@code max_body} as options.
     */
    @Override
    public void compileStart(WorkflowNode node, CompileContext context, RouteDefinition route) {
        String wf = context.workflow().id();
        Object auth = node.config().get(WebhookAuth.AUTH.name());
        Object allowed = node.config().get(WebhookAuth.ALLOWED_IPS.name());
        Object maxBody = node.config().get(WebhookAuth.MAX_BODY.name());
        if (WebhookGuard.of(wf, auth, allowed, maxBody).open()) {
            LOG.warn("webhook '{}' lets anybody in (auth: none); set auth (hmac, api_key or basic) on its webhook node", wf);
        }
        StringBuilder query = new StringBuilder("workflow=" + wf);
        if (auth instanceof Map<?, ?> a) {
            option(query, "auth", a.get(WebhookAuth.TYPE.name()));
            option(query, "credential", a.get(WebhookAuth.CREDENTIAL_ID.name()));
            option(query, "header", a.get(WebhookAuth.HEADER.name()));
            option(query, "timestampHeader", a.get(WebhookAuth.TIMESTAMP_HEADER.name()));
            option(query, "tolerance", a.get(WebhookAuth.TOLERANCE.name()) instanceof java.time.Duration d ? d.toMillis() : null);
        }
        option(query, "allowedIps", allowed instanceof List<?> ips
                ? ips.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")) : null);
        option(query, "maxBody", maxBody);
        route.to(CaravanSteps.uri("webhook", node, query.toString())).id(context.camelId(node, "start"));
    }

    private static void option(StringBuilder query, String name, Object value) {
        if (value != null) {
            query.append('&').append(name).append("=RAW(").append(value).append(')');
        }
    }

    /**
     * The start of a webhook's run, from {@code caravan:webhook}'s options: the same fields as
     * the node's {@code auth}, {@code allowed_ips} (comma-separated) and {@code max_body}.
     */
    public static Processor start(String workflowId, String nodeId, RunEvents events, String auth, String credential,
                                  String header, String timestampHeader, Long toleranceMs, String allowedIps, Long maxBody) {
        Map<String, Object> a = new LinkedHashMap<>();
        a.put(WebhookAuth.TYPE.name(), auth == null ? WebhookAuth.NONE : auth);
        if (credential != null) {
            a.put(WebhookAuth.CREDENTIAL_ID.name(), credential);
        }
        if (header != null) {
            a.put(WebhookAuth.HEADER.name(), header);
        }
        if (timestampHeader != null) {
            a.put(WebhookAuth.TIMESTAMP_HEADER.name(), timestampHeader);
        }
        if (toleranceMs != null) {
            a.put(WebhookAuth.TOLERANCE.name(), java.time.Duration.ofMillis(toleranceMs));
        }
        List<String> ips = allowedIps == null || allowedIps.isBlank() ? null : List.of(allowedIps.split(","));
        return new Start(workflowId, nodeId, events, WebhookGuard.of(workflowId, a, ips, maxBody));
    }

    @Override
    public boolean replies() {
        return true;
    }

    /** Takes the request's body and headers as data, then drops every inbound header. */
    static final class Start extends NodeProcessor {

        private final RunEvents events;
        private final WebhookGuard guard;

        Start(String workflowId, String nodeId, RunEvents events, WebhookGuard guard) {
            super(workflowId, nodeId);
            this.events = events;
            this.guard = guard;
        }

        /** Answers at once and runs nothing. */
        private void refuse(Exchange exchange, int status, String code, String message, Map<String, String> headers) {
            LOG.debug("webhook '{}' refused a request: {} {}: {}", workflowId, status, code, message);
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", code);
            error.put("message", message);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("status", "rejected");
            answer.put("error", error);
            FinishProcessor.reply(exchange, status, answer);
            headers.forEach(exchange.getMessage()::setHeader);
            exchange.setRouteStop(true);
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
            Object raw = exchange.getIn().getBody();
            byte[] bytes = raw instanceof Map<?, ?> ? null : exchange.getIn().getBody(byte[].class);
            guard.bind(exchange.getContext());
            Optional<WebhookGuard.Rejection> rejected = guard.check(exchange, bytes == null && !(raw instanceof Map<?, ?>)
                    ? new byte[0] : bytes);
            if (rejected.isPresent()) {
                WebhookGuard.Rejection r = rejected.get();
                refuse(exchange, r.status(), r.code(), r.message(), r.headers());
                return;
            }
            RunContext run = new RunContext();
            Map<String, Object> headers = new LinkedHashMap<>();
            exchange.getIn().getHeaders().forEach((name, value) -> {
                // Camel* headers are the HTTP engine's own bookkeeping, not the caller's headers
                if (!name.regionMatches(true, 0, "Camel", 0, 5)) {
                    headers.put(name.toLowerCase(Locale.ROOT), value == null ? null : value.toString());
                }
            });
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
                text = bytes == null ? "" : new String(bytes, StandardCharsets.UTF_8);
                String type = exchange.getIn().getHeader(Exchange.CONTENT_TYPE, "", String.class).toLowerCase(Locale.ROOT);
                String start = text.stripLeading();
                // sent as JSON, or looking like it without saying it is text: it must parse
                if (type.contains("json") || (!type.startsWith("text/") && (start.startsWith("{") || start.startsWith("[")))) {
                    try {
                        body = Json.MAPPER.readValue(text, Object.class);
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        var at = e.getLocation();
                        refuse(exchange, 400, ErrorCode.BAD_PAYLOAD.name(), "invalid JSON"
                                + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr()) + ": "
                                + e.getOriginalMessage().lines().findFirst().orElse("syntax error"), Map.of());
                        return;
                    }
                } else {
                    body = text;
                }
            }
            exchange.setProperty(Runs.ORIGINAL, new Runs.Original(text, Map.of(), "webhook:/webhooks/" + workflowId, null, null));
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("id", run.executionId());
            output.put("body", body);
            output.put("headers", headers);
            output.put("timestamp", Runs.now(exchange).toString());
            run.startWith(nodeId, output, body);
            io.caravan.tracing.Tracing.begin(exchange, run, workflowId, nodeId, io.opentelemetry.api.trace.SpanKind.SERVER, headers);
            Runs.start(exchange, run);
            Runs.dropInboundHeaders(exchange);
            events.received(workflowId, nodeId, "webhook", "/webhooks/" + workflowId);
        }
    }
}
