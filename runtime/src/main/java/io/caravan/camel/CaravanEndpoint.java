package io.caravan.camel;

import io.caravan.Json;
import io.caravan.compile.FinishProcessor;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.nodes.RunSteps;
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

    static final List<String> ACTIONS = List.of("enter", "output", "result", "log", "finish", "items", "item",
            "item-done", "loop-done", "fork", "branch", "branch-done", "join", "call", "called",
            "stash", "text", "sent", "http", "call-start");

    private final String action;
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
    @UriParam(description = "items: most items a loop takes")
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
    @UriParam(description = "sent: the broker's queue_type")
    private String queueType;
    @UriParam(description = "sent: where the message went (give it as RAW(...))")
    private String destination;
    @UriParam(description = "call, called: the workflow called")
    private String target;
    @UriParam(description = "call, called: sync or async", defaultValue = "sync")
    private String mode = "sync";

    CaravanEndpoint(String uri, CaravanComponent component, String action, String node) {
        super(uri, component);
        this.action = action;
        this.node = node;
    }

    void check() {
        if (!ACTIONS.contains(action)) {
            throw new IllegalArgumentException("caravan endpoint '" + getEndpointUri() + "': unknown action '" + action
                    + "'; actions: " + String.join(", ", ACTIONS));
        }
        if (action.equals("log")) {
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

    public void setTarget(String target) {
        this.target = target;
    }

    public void setMode(String mode) {
        this.mode = mode;
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
        Logger logger = LoggerFactory.getLogger("caravan.workflow." + (workflow == null ? "route" : workflow));
        Level logLevel = Level.valueOf(level.toUpperCase(Locale.ROOT));
        FinishProcessor finish = new FinishProcessor(replies);
        String wf = workflow == null ? "route" : workflow;
        RunEvents events = RunEvents.of(getCamelContext());
        Processor structure = switch (action) {
            case "items" -> RunSteps.items(wf, node, max);
            case "item" -> RunSteps.item(wf, node);
            case "item-done" -> RunSteps.itemDone(node, list(nodes));
            case "loop-done" -> RunSteps.loopDone(wf, node);
            case "fork" -> RunSteps.fork(wf, node, branches, "any".equals(wait));
            case "branch" -> RunSteps.branch(wf, node);
            case "branch-done" -> RunSteps.branchDone(node, list(nodes));
            case "join" -> RunSteps.join(wf, node, parallel, list(starts), timeout);
            case "call" -> RunSteps.call(wf, node, target, "async".equals(mode));
            case "called" -> RunSteps.called(wf, node, "async".equals(mode));
            case "http" -> RunSteps.http(wf, node, method, timeout, failOn4xx, failOn5xx, caFile, json);
            case "call-start" -> RunSteps.callStart(wf, node, RunEvents.of(getCamelContext()));
            default -> null;
        };
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) throws Exception {
                if (structure != null) {
                    structure.process(exchange);
                    return;
                }
                switch (action) {
                    case "enter" -> enter(exchange);
                    case "output" -> output(exchange);
                    case "result" -> CaravanLanguage.runOf(exchange).putOutput(node, Map.of("result", value));
                    case "finish" -> finish.process(exchange);
                    case "stash" -> Runs.stashHeaders(exchange);
                    case "text" -> text(exchange);
                    case "sent" -> sent(exchange, events);
                    default -> log(exchange, logger, logLevel);
                }
            }
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
    }

    /** The broker took the message: the node's output, the run's headers back, counted as sent. */
    private void sent(Exchange exchange, RunEvents events) {
        Map<String, Object> output = new java.util.LinkedHashMap<>();
        output.put("success", true);
        output.put("message_id", exchange.getMessage().getHeader(io.caravan.binding.Messages.MESSAGE_ID, String.class));
        output.put("queue_type", queueType);
        output.put("destination", destination);
        output.put("sent_at", java.time.Instant.now().toString());
        CaravanLanguage.runOf(exchange).putOutput(node, output);
        Runs.restoreHeaders(exchange);
        events.sent(workflow, node, queueType, destination);
    }

    private void enter(Exchange exchange) {
        if (!node.equals(exchange.getProperty(Runs.NODE))) {
            // attempts count per node: a retry in an earlier node is not this node's
            exchange.removeProperty(Runs.REDELIVERIES);
        }
        exchange.setProperty(Runs.NODE, node);
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

    private void log(Exchange exchange, Logger logger, Level logLevel) {
        String text = exchange.getMessage().getBody(String.class);
        text = text == null ? "" : text;
        // one log line per message, whatever the rendered values hold
        logger.atLevel(logLevel).log("[{}] {}", node, text.replace("\r", "\\r").replace("\n", "\\n"));
        CaravanLanguage.runOf(exchange).putOutput(node, Map.of("message", text));
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("caravan:" + action + " only takes messages (a producer)");
    }
}
