package io.caravan.compile.nodes;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.compile.CompileContext;
import io.caravan.compile.NodeCompiler;
import io.caravan.compile.NodeProcessor;
import io.caravan.template.RunContext;
import io.caravan.template.Template;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.WorkflowNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.caravan.tls.Tls;
import io.caravan.workflow.ErrorHandling;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.model.ProcessorDefinition;

/**
 * {@code http}: one request with the node's method, url, headers and body (all templates).
 * The output is {@code {status, headers, response}}, the response parsed when it is JSON; a
 * non-2xx status is an output, not a failure, so a condition can look at it.
 *
 * <p>Uses the JDK's HttpClient rather than camel-http: camel-http sets timeouts only per
 * component, and its producer turns exchange headers into request headers, which would let
 * inbound headers reach a third party.
 */
public final class HttpNode implements NodeCompiler {

    /**
     * Made on the first call (holder idiom): building an HttpClient sets up the JVM's TLS
     * context, a third of a second of every start-up when it was a plain static field.
     */
    private static final class Client {
        static final HttpClient INSTANCE = builder().build();
    }

    private static HttpClient.Builder builder() {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER);
    }

    @Override
    public NodeType type() {
        return NodeType.HTTP;
    }

    /**
     * Exchange property prefixes: a node's rendered url, body and headers (per node, so that a
     * failed node's headers never reach another node's call). Kept until the call succeeds, so a
     * retry makes the same call.
     */
    static final String URL = "CaravanHttpUrl.";
    static final String BODY = "CaravanHttpBody.";
    static final String HEADER = "CaravanHttpHeader.";

    @Override
    public void compile(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        // a status is a failure only when the node asks to retry on it; otherwise a condition reads it
        ErrorHandling.Retry retry = context.workflow().errorHandling(node).retry();
        List<String> failOn = retry == null ? List.of() : retry.retryOn();
        String ca = node.config().string(Tls.CA_FILE.name());
        String body = node.config().string("body");
        CaravanSteps.enter(node, context, step);
        step.setProperty(URL + node.id(), CaravanSteps.template(node.config().string("url"))).id(context.camelId(node, "url"));
        int i = 0;
        for (Map.Entry<String, String> h : node.config().stringMap("headers").entrySet()) {
            step.setProperty(HEADER + node.id() + "." + h.getKey(), CaravanSteps.template(h.getValue()))
                    .id(context.camelId(node, "header-" + i++));
        }
        if (body != null) {
            step.setProperty(BODY + node.id(), CaravanSteps.template(body)).id(context.camelId(node, "body"));
        }
        String query = "workflow=" + context.workflow().id() + "&method=" + node.config().string("method")
                + "&timeout=" + node.config().duration("timeout").toMillis()
                + (failOn.contains("HTTP_4XX") ? "&failOn4xx=true" : "") + (failOn.contains("HTTP_5XX") ? "&failOn5xx=true" : "")
                + (body != null && Template.parse(body).isJson() ? "&json=true" : "")
                + (ca == null ? "" : "&caFile=RAW(" + ca + ")");
        step.to(CaravanSteps.uri("http", node, query)).id(context.camelId(node, "call"));
    }

    /** A response: the status, the headers (each name with its values) and the body as text. */
    public record Answer(int status, Map<String, List<String>> headers, String body) {
    }

    /**
     * Answers the calls of http nodes instead of the network, when the context binds one under
     * {@link #NAME}: `caravan test` does, with the responses and errors a test gives. It throws a
     * {@link CaravanException} for a call that fails (TIMEOUT, CONNECTION_FAILED, ...); a status
     * it answers is judged as a real one (HTTP_5XX when the node retries on it).
     */
    public interface Stub {
        String NAME = "caravan-http-stub";

        Answer answer(String workflowId, String nodeId, String method, URI uri, Map<String, String> headers, String body);
    }

    /** The call, from the rendered url, headers and body on the exchange. */
    public static org.apache.camel.Processor call(String workflowId, String nodeId, String method, Duration timeout,
                                                  boolean failOn4xx, boolean failOn5xx, String caFile, boolean jsonBody) {
        // a node that trusts its own certificates has a client of its own; the others share one
        HttpClient client = caFile == null ? null : builder().sslContext(Tls.context(Path.of(caFile))).build();
        return new Call(workflowId, nodeId, method, timeout, failOn4xx, failOn5xx, client, jsonBody);
    }

    static final class Call extends NodeProcessor {

        private final String method;
        private final Duration timeout;
        private final boolean failOn4xx;
        private final boolean failOn5xx;
        private final HttpClient client;
        private final boolean jsonBody;

        /** @param client this node's own client (it trusts its tls_ca_file), or null for the shared one */
        Call(String workflowId, String nodeId, String method, Duration timeout, boolean failOn4xx, boolean failOn5xx,
             HttpClient client, boolean jsonBody) {
            super(workflowId, nodeId);
            this.client = client;
            this.method = method;
            this.timeout = timeout;
            this.failOn4xx = failOn4xx;
            this.failOn5xx = failOn5xx;
            this.jsonBody = jsonBody;
        }

        @Override
        public void run(Exchange exchange, RunContext run) throws Exception {
            String target = Template.asText(exchange.getProperty(URL + nodeId));
            String headerPrefix = HEADER + nodeId + ".";
            Map<String, String> headers = new LinkedHashMap<>();
            for (Map.Entry<String, Object> p : exchange.getProperties().entrySet()) {
                if (p.getKey().startsWith(headerPrefix)) {
                    headers.put(p.getKey().substring(headerPrefix.length()), Template.asText(p.getValue()));
                }
            }
            Object body = exchange.getProperty(BODY + nodeId);
            if (run != null && run.trace() != null) {
                run.trace().inject(headers::put);
            }
            URI uri;
            try {
                uri = URI.create(target);
            } catch (IllegalArgumentException e) {
                throw new CaravanException(ErrorCode.HTTP_ERROR, "url '" + target + "' is not a valid URI: "
                        + e.getMessage(), nodeId, e);
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
                throw new CaravanException(ErrorCode.HTTP_ERROR, "url '" + target + "' is not http or https", nodeId, null);
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout);
            boolean hasContentType = false;
            for (Map.Entry<String, String> h : headers.entrySet()) {
                request.header(h.getKey(), h.getValue());
                hasContentType |= h.getKey().equalsIgnoreCase("content-type");
            }
            HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.noBody();
            if (body != null) {
                String text = Template.asText(body);
                publisher = HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8);
                if (!hasContentType && jsonBody) {
                    request.header("Content-Type", "application/json");
                }
            }
            request.method(method, publisher);
            Answer response;
            Stub stub = exchange.getContext().getRegistry().lookupByNameAndType(Stub.NAME, Stub.class);
            try {
                if (stub != null) {
                    response = stub.answer(workflowId, nodeId, method, uri, headers, body == null ? null : Template.asText(body));
                } else {
                    HttpResponse<String> r = (client != null ? client : Client.INSTANCE).send(request.build(),
                            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                    response = new Answer(r.statusCode(), r.headers().map(), r.body());
                }
            } catch (HttpTimeoutException e) {
                throw new CaravanException(ErrorCode.TIMEOUT, method + " " + target + " timed out after " + timeout.toMillis()
                        + " ms", nodeId, e);
            } catch (ConnectException e) {
                throw new CaravanException(ErrorCode.CONNECTION_FAILED, method + " " + target + ": connection refused",
                        nodeId, e);
            } catch (IOException e) {
                throw new CaravanException(ErrorCode.CONNECTION_FAILED, method + " " + target + ": " + e, nodeId, e);
            }
            int status = response.status();
            if ((failOn5xx && status >= 500) || (failOn4xx && status >= 400 && status < 500)) {
                throw new CaravanException(status >= 500 ? ErrorCode.HTTP_5XX : ErrorCode.HTTP_4XX,
                        method + " " + target + " answered " + status, nodeId, null);
            }
            Map<String, Object> responseHeaders = new LinkedHashMap<>();
            response.headers().forEach((k, v) -> responseHeaders.put(k, v.size() == 1 ? v.get(0) : v));
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("status", status);
            output.put("headers", responseHeaders);
            output.put("response", Json.parseIfJson(response.body()));
            run.putOutput(nodeId, output);
            exchange.removeProperty(URL + nodeId);
            exchange.removeProperty(BODY + nodeId);
            headers.keySet().forEach(name -> exchange.removeProperty(headerPrefix + name));
        }
    }
}
