package io.caravan.camel;

import io.caravan.Json;
import io.caravan.compile.FinishProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.binding.Channel;
import io.caravan.compile.Runs;
import io.caravan.compile.errors.CircuitBreakers;
import io.caravan.compile.idempotency.IdempotencyCompiler;
import io.caravan.compile.errors.FailureSteps;
import io.caravan.compile.nodes.ReceiveMessageNode;
import io.caravan.compile.nodes.RunSteps;
import io.caravan.compile.nodes.ScheduleTrigger;
import io.caravan.compile.nodes.WebhookTrigger;
import io.caravan.template.RunContext;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/** One {@code caravan:<action>/<node>} endpoint; see {@link CaravanComponent}. */
@UriEndpoint(scheme = CaravanComponent.SCHEME, title = "Caravan", syntax = "caravan:action/node", producerOnly = true,
        category = {org.apache.camel.Category.CORE})
public final class CaravanEndpoint extends DefaultEndpoint {

    /** The actions, as written in a URI. */
    enum Action {
        ENTER, OUTPUT, RESULT, LOG, FINISH, ITEMS, ITEM, ITEM_DONE, LOOP_DONE, FORK, BRANCH, BRANCH_DONE, JOIN, CALL,
        CALLED, STASH, TEXT, SENT, HTTP, CALL_START, FAILED, DEAD_LETTER, DEAD_LETTERED, CAUGHT, FALLBACK, FALLBACK_OUTPUT, WEBHOOK, SCHEDULE, RECEIVE, PULL, IN_FLIGHT, DUPLICATE,
        COMPLETED, COMPENSATE, REPLY, REQUEST, LIMIT;

        final String uriName = name().toLowerCase(Locale.ROOT).replace('_', '-');

        static Action of(String uriName) {
            for (Action a : values()) {
                if (a.uriName.equals(uriName)) {
                    return a;
                }
            }
            return null;
        }

        static String names() {
            return String.join(", ", java.util.Arrays.stream(values()).map(a -> a.uriName).toList());
        }
    }

    private final String actionName;
    private final Action action;
    private final String node;
    @UriParam(description = "output: read a JSON text body as the value it holds; http: the body is JSON")
    private boolean json;
    @UriParam(description = "result: the condition's result")
    private boolean value;
    @UriParam(description = "log: the level", defaultValue = "info")
    private String level = "info";
    @UriParam(description = "log: the workflow, whose logger (caravan.workflow.<id>) writes the line")
    private String workflow;
    @UriParam(description = "finish: the caller waits for the result (a webhook, a call)")
    private boolean replies;
    @UriParam(description = "items: most items a loop takes; pull: most messages")
    private int max = Integer.MAX_VALUE;
    @UriParam(description = "item-done, branch-done: the nodes of the loop body or the branch, comma-separated")
    private String nodes = "";
    @UriParam(description = "fork: how many branches")
    private int branches;
    @UriParam(description = "fork: all or any", defaultValue = "all")
    private String wait = "all";
    @UriParam(description = "join: the parallel whose branches it joins")
    private String parallel;
    @UriParam(description = "join: the first node of each branch, comma-separated")
    private String starts = "";
    @UriParam(description = "join: the time its branches had, in ms (0: none); http: the time to wait for the answer")
    private long timeout;
    @UriParam(description = "http: the method", defaultValue = "GET")
    private String method = "GET";
    @UriParam(description = "http: a 4xx answer fails the node")
    private boolean failOn4xx;
    @UriParam(description = "http: a 5xx answer fails the node")
    private boolean failOn5xx;
    @UriParam(description = "http: the CA certificates (PEM) to trust (give it as RAW(...))")
    private String caFile;
    @UriParam(description = "enter (a send_message), sent, dead-lettered: the broker's queue_type")
    private String queueType;
    @UriParam(description = "sent, dead-lettered: where the message went (give it as RAW(...))")
    private String destination;
    @UriParam(description = "enter (a send_message), pull: the credential id")
    private String credential;
    @UriParam(description = "enter (a send_message): the queue, topic or stream (give it as RAW(...))")
    private String address;
    @UriParam(description = "webhook: none, hmac, api_key or basic", defaultValue = "none")
    private String auth;
    @UriParam(description = "webhook: the header with the signature or key")
    private String header;
    @UriParam(description = "webhook: the header with the request's time (hmac)")
    private String timestampHeader;
    @UriParam(description = "webhook: how far a request's time may be from now, in ms")
    private Long tolerance;
    @UriParam(description = "webhook: the callers' addresses let in (comma-separated, CIDR)")
    private String allowedIps;
    @UriParam(description = "webhook: the largest request body, in bytes")
    private Long maxBody;
    @UriParam(description = "schedule: the run's input (JSON)")
    private String payload;
    @UriParam(description = "schedule: the run's input (JSON, base64url)")
    private String payloadBase64;
    @UriParam(description = "schedule: skip or allow a tick while the previous run goes on", defaultValue = "skip")
    private String overlap;
    @UriParam(description = "receive, pull: the queue, topic or stream")
    private String source;
    @UriParam(description = "receive: deliveries after which a message is dead-lettered without running")
    private long maxDeliveries = Long.MAX_VALUE;
    @UriParam(description = "pull: how long to wait for messages, in ms")
    private long waitTime;
    @UriParam(description = "pull: delete (acknowledge) what was pulled")
    private boolean deleteAfter;
    @UriParam(description = "fallback: the node's fallback as written; fallback-output: the fallback node")
    private String fallback;
    @UriParam(description = "limit: runs per key in flight at once")
    private int limit = Integer.MAX_VALUE;
    @UriParam(description = "request: the topic or queue answers come to (Kafka, SQS)")
    private String replyTo;
    @UriParam(description = "completed: the node that undoes this one should a later node fail")
    private String compensation;
    @UriParam(description = "completed: where the compensation's steps run (a direct: endpoint)")
    private String compensationUri;
    @UriParam(description = "call, called: the workflow called")
    private String target;
    @UriParam(description = "call, called: sync or async", defaultValue = "sync")
    private String mode = "sync";

    CaravanEndpoint(String uri, CaravanComponent component, String action, String node) {
        super(uri, component);
        this.actionName = action;
        this.action = Action.of(action);
        this.node = node;
    }

    void check() {
        if (action == null) {
            throw new IllegalArgumentException("caravan endpoint '" + getEndpointUri() + "': unknown action '" + actionName
                    + "'; actions: " + Action.names());
        }
        if (action == Action.LOG) {
            Level.valueOf(level.toUpperCase(Locale.ROOT)); // a bad level fails here, at start, not per message
        }
    }

    public void setJson(boolean json) {
        this.json = json;
    }

    public void setValue(boolean value) {
        this.value = value;
    }

    public void setLevel(String level) {
        this.level = level;
    }

    public void setMax(int max) {
        this.max = max;
    }

    public void setNodes(String nodes) {
        this.nodes = nodes;
    }

    public void setBranches(int branches) {
        this.branches = branches;
    }

    public void setWait(String wait) {
        this.wait = wait;
    }

    public void setParallel(String parallel) {
        this.parallel = parallel;
    }

    public void setStarts(String starts) {
        this.starts = starts;
    }

    public void setMethod(String method) {
        this.method = method;
    }

    public void setFailOn4xx(boolean failOn4xx) {
        this.failOn4xx = failOn4xx;
    }

    public void setFailOn5xx(boolean failOn5xx) {
        this.failOn5xx = failOn5xx;
    }

    public void setCaFile(String caFile) {
        this.caFile = caFile;
    }

    public void setQueueType(String queueType) {
        this.queueType = queueType;
    }

    public void setDestination(String destination) {
        this.destination = destination;
    }

    public void setAuth(String auth) {
        this.auth = auth;
    }

    public void setHeader(String header) {
        this.header = header;
    }

    public void setTimestampHeader(String timestampHeader) {
        this.timestampHeader = timestampHeader;
    }

    public void setTolerance(Long tolerance) {
        this.tolerance = tolerance;
    }

    public void setAllowedIps(String allowedIps) {
        this.allowedIps = allowedIps;
    }

    public void setMaxBody(Long maxBody) {
        this.maxBody = maxBody;
    }

    public void setPayload(String payload) {
        this.payload = payload;
    }

    public void setPayloadBase64(String payloadBase64) {
        this.payloadBase64 = payloadBase64;
    }

    public void setOverlap(String overlap) {
        this.overlap = overlap;
    }

    public void setSource(String source) {
        this.source = source;
    }

    public void setMaxDeliveries(long maxDeliveries) {
        this.maxDeliveries = maxDeliveries;
    }

    public void setWaitTime(long waitTime) {
        this.waitTime = waitTime;
    }

    public void setDeleteAfter(boolean deleteAfter) {
        this.deleteAfter = deleteAfter;
    }

    public void setFallback(String fallback) {
        this.fallback = fallback;
    }

    public void setCredential(String credential) {
        this.credential = credential;
    }

    public void setAddress(String address) {
        this.address = address;
    }

    public void setTarget(String target) {
        this.target = target;
    }

    public void setMode(String mode) {
        this.mode = mode;
    }

    public void setLimit(int limit) {
        this.limit = limit;
    }

    public void setReplyTo(String replyTo) {
        this.replyTo = replyTo;
    }

    public void setCompensation(String compensation) {
        this.compensation = compensation;
    }

    public void setCompensationUri(String compensationUri) {
        this.compensationUri = compensationUri;
    }

    public void setTimeout(long timeout) {
        this.timeout = timeout;
    }

    public void setReplies(boolean replies) {
        this.replies = replies;
    }

    public void setWorkflow(String workflow) {
        this.workflow = workflow;
    }

    @Override
    public Producer createProducer() {
        Processor processor = processor(workflow == null ? "route" : workflow, RunEvents.of(getCamelContext()));
        if (processor instanceof org.apache.camel.AsyncProcessor async) {
            // one that may park the exchange without holding the thread (in-flight): asynchronous, and started and stopped with the route
            return new org.apache.camel.support.DefaultAsyncProducer(this) {
                @Override
                public boolean process(Exchange exchange, org.apache.camel.AsyncCallback callback) {
                    return async.process(exchange, callback);
                }

                @Override
                protected void doStart() throws Exception {
                    org.apache.camel.support.service.ServiceHelper.startService(async);
                }

                @Override
                protected void doStop() throws Exception {
                    org.apache.camel.support.service.ServiceHelper.stopService(async);
                }
            };
        }
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) throws Exception {
                processor.process(exchange);
            }
        };
    }

    /** What the action does; {@code wf} is the workflow ("route" in a hand-written route). */
    private Processor processor(String wf, RunEvents events) {
        return switch (action) {
            case ENTER -> enter(wf);
            case OUTPUT -> this::output;
            case RESULT -> exchange -> CaravanLanguage.runOf(exchange).putOutput(node, Map.of("result", value));
            case LOG -> log(LoggerFactory.getLogger("caravan.workflow." + wf), Level.valueOf(level.toUpperCase(Locale.ROOT)));
            case FINISH -> new FinishProcessor(replies);
            case STASH -> Runs::stashHeaders;
            case TEXT -> CaravanEndpoint::text;
            case SENT -> exchange -> sent(exchange, events);
            case ITEMS -> RunSteps.items(wf, node, max);
            case ITEM -> RunSteps.item(wf, node);
            case ITEM_DONE -> RunSteps.itemDone(node, list(nodes));
            case LOOP_DONE -> RunSteps.loopDone(wf, node);
            case FORK -> RunSteps.fork(wf, node, branches, "any".equals(wait));
            case BRANCH -> RunSteps.branch(wf, node);
            case BRANCH_DONE -> RunSteps.branchDone(node, list(nodes));
            case JOIN -> RunSteps.join(wf, node, parallel, list(starts), timeout);
            case CALL -> RunSteps.call(wf, node, target, "async".equals(mode));
            case CALLED -> RunSteps.called(wf, node, "async".equals(mode));
            case HTTP -> RunSteps.http(wf, node, method, timeout, failOn4xx, failOn5xx, caFile, json);
            case CALL_START -> RunSteps.callStart(wf, node, events);
            case FAILED -> FailureSteps.failed(wf, replies, events);
            case DEAD_LETTER -> FailureSteps.deadLetter(wf);
            case DEAD_LETTERED -> FailureSteps.deadLettered(wf, queueType, destination, events);
            case CAUGHT -> FailureSteps.caught(wf, node);
            case COMPLETED -> FailureSteps.completed(node, compensation, compensationUri);
            case COMPENSATE -> FailureSteps.compensate(wf, events);
            case REPLY -> io.caravan.compile.nodes.ReplyNode.reply(wf, node, queueType, credential);
            case LIMIT -> new io.caravan.compile.nodes.ConcurrencyLimit(
                    org.apache.camel.support.builder.ExpressionBuilder.exchangePropertyExpression(
                            io.caravan.compile.nodes.ConcurrencyLimit.KEY), limit, wf);
            case REQUEST -> io.caravan.compile.nodes.ReplyNode.request(wf, node, queueType, credential, address, replyTo,
                    timeout, events);
            case FALLBACK -> CircuitBreakers.fallback(node, fallback);
            case FALLBACK_OUTPUT -> CircuitBreakers.fallbackOutput(node, fallback);
            case WEBHOOK -> WebhookTrigger.start(wf, node, events, auth, credential, header, timestampHeader, tolerance,
                    allowedIps, maxBody);
            case SCHEDULE -> ScheduleTrigger.start(wf, node, payload, payloadBase64, !"allow".equals(overlap), events);
            case RECEIVE -> ReceiveMessageNode.start(wf, node, queueType, source, maxDeliveries, events);
            case IN_FLIGHT -> IdempotencyCompiler.inFlight(wf, node);
            case DUPLICATE -> IdempotencyCompiler.duplicate(wf, node, events);
            case PULL -> ReceiveMessageNode.pull(wf, node, queueType, credential, source, max, waitTime, deleteAfter);
        };
    }

    private static List<String> list(String commaSeparated) {
        return commaSeparated.isBlank() ? List.of() : List.of(commaSeparated.split(","));
    }

    /** What a producer sends is text: a body or header the language gave as a value is written as JSON. */
    private static void text(Exchange exchange) {
        var message = exchange.getMessage();
        if (message.getBody() != null && !(message.getBody() instanceof String)) {
            message.setBody(Json.write(message.getBody()));
        }
        message.getHeaders().replaceAll((name, value) -> value == null || value instanceof String ? value : Json.write(value));
        RunContext run = exchange.getProperty(Runs.RUN, RunContext.class);
        if (run != null && run.trace() != null) {
            // what the node sends carries its span: the run it starts continues this trace
            run.trace().inject(message::setHeader);
        }
    }

    /** The broker took the message: the node's output, the run's headers back, counted as sent. */
    private void sent(Exchange exchange, RunEvents events) {
        Map<String, Object> output = new java.util.LinkedHashMap<>();
        output.put("success", true);
        output.put("message_id", exchange.getMessage().getHeader(io.caravan.binding.Messages.MESSAGE_ID, String.class));
        output.put("queue_type", queueType);
        output.put("destination", destination);
        output.put("sent_at", Runs.now(exchange).toString());
        CaravanLanguage.runOf(exchange).putOutput(node, output);
        Runs.restoreHeaders(exchange);
        events.sent(workflow, node, queueType, destination);
    }

    /**
     * The node starts: failures from here on are its own. A send_message's names its broker, so
     * that a failure there is classified by that broker's binding (see Failures).
     */
    private Processor enter(String wf) {
        Runs.Broker broker = queueType == null ? null
                : new Runs.Broker(queueType, new Channel(wf, node, credential, address, null));
        return exchange -> {
            if (!node.equals(exchange.getProperty(Runs.NODE))) {
                // attempts count per node: a retry in an earlier node is not this node's
                exchange.removeProperty(Runs.REDELIVERIES);
            }
            exchange.setProperty(Runs.NODE, node);
            io.caravan.tracing.Tracing.enter(exchange, node);
            if (broker != null) {
                exchange.setProperty(Runs.BROKER, broker);
            }
        };
    }

    private void output(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        RunContext run = CaravanLanguage.runOf(exchange);
        if (body instanceof String text) {
            run.putOutput(node, json ? Json.parseIfJson(text) : text);
        } else {
            run.putOutput(node, body);
            exchange.getMessage().setBody(Json.write(body));
        }
    }

    private Processor log(Logger logger, Level logLevel) {
        return exchange -> log(exchange, logger, logLevel);
    }

    private void log(Exchange exchange, Logger logger, Level logLevel) {
        String text = exchange.getMessage().getBody(String.class);
        text = text == null ? "" : text;
        // one log line per message, whatever the rendered values hold
        logger.atLevel(logLevel).log("[{}] {}", node, text.replace("\r", "\\r").replace("\n", "\\n"));
        CaravanLanguage.runOf(exchange).putOutput(node, Map.of("message", text));
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("caravan:" + actionName + " only takes messages (a producer)");
    }
}
