package io.caravan.workflowtest;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.Json;
import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.binding.Provisioner;
import io.caravan.binding.QueueDepth;
import io.caravan.binding.ReceivedMessage;
import io.caravan.compile.CompiledWorkflow;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import io.caravan.compile.nodes.HttpNode;
import io.caravan.credential.Credential;
import io.caravan.template.RunContext;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.DelayDefinition;
import org.apache.camel.model.OnExceptionDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.language.ConstantExpression;
import org.apache.camel.support.DefaultExchange;

/**
 * One workflow's compiled routes in a Camel context of their own, with every edge that reaches
 * outside stubbed at its endpoint: the brokers' components and platform-http and the schedule's
 * master are {@link StubComponent}s, pulls, replies and requests go to a stub provisioner, http
 * calls to a stub answer, called workflows to a stub route. A case starts the trigger's consumer
 * with its input and collects what the run sent, dead-lettered and answered, its output or its
 * error. Retries happen without their waits, and delay nodes do not wait.
 */
final class Harness implements AutoCloseable, StubComponent.Wiring {

    /** A message a producer took: where to, and what. */
    record Sent(String queueType, String destination, String node, String body, Map<String, String> attributes, String key) {
        Map<String, Object> shown() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("destination", destination);
            out.put("body", JsonDiff.normal(body));
            out.put("attributes", attributes);
            if (key != null) {
                out.put("key", key);
            }
            return out;
        }
    }

    /** What one case's run did. */
    static final class Outcome {
        final Map<String, List<Sent>> sent = new LinkedHashMap<>();
        final List<Sent> deadLetters = new ArrayList<>();
        final List<Sent> replies = new ArrayList<>();
        final List<Sent> pending = new ArrayList<>();
        final List<String> missingStubs = new ArrayList<>();
        CaravanException error;
        Object output;
        boolean completed;
    }

    /** Marks a message taken while the run dead-letters, until the event names its destination. */
    private static final String DEAD_LETTER = "\u0000dead-letter";

    private final Workflow workflow;
    private final WorkflowNode trigger;
    private final CamelContext context;
    private final Map<String, Processor> triggers = new LinkedHashMap<>();
    private TestFile.Case current;
    private Outcome outcome;
    private int ids;

    Harness(CompiledWorkflow compiled, java.time.Instant now) throws Exception {
        this.workflow = compiled.workflow();
        this.trigger = workflow.trigger();
        DefaultCamelContext ctx = new DefaultCamelContext();
        ctx.getRegistry().bind(Runs.CLOCK, Clock.fixed(now, ZoneOffset.UTC));
        ctx.getRegistry().bind("caravan-run-events", RunEvents.class, new Recorder());
        ctx.getRegistry().bind(HttpNode.Stub.NAME, HttpNode.Stub.class, (HttpNode.Stub) this::http);
        for (Binding b : Bindings.ALL) {
            ctx.addComponent("caravan-" + b.queueType(), new StubComponent(this));
            ctx.getRegistry().bind("caravan-provisioner-" + b.queueType(), Provisioner.class, new StubProvisioner(b));
        }
        for (String scheme : List.of("platform-http", "master")) {
            ctx.addComponent(scheme, new StubComponent(this));
        }
        ctx.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                // a called workflow answers as the case's stub of the calling node says
                for (WorkflowNode node : workflow.nodes()) {
                    if (node.type() == NodeType.WORKFLOW) {
                        String target = node.config().string(NodeSpecs.Call.WORKFLOW_ID.name());
                        if (!target.equals(workflow.id())) {
                            from(io.caravan.compile.nodes.WorkflowCalls.endpoint(target)).routeId("caravan-test.call." + target)
                                    .process(e -> called(target, e));
                        }
                    }
                }
            }
        });
        for (RouteDefinition route : compiled.routes()) {
            withoutWaits(route.getOutputs());
        }
        ctx.addRouteDefinitions(compiled.routes());
        ctx.start();
        this.context = ctx;
    }

    /** Retries without their waits and delay nodes without theirs: a test is about what happens, not when. */
    private static void withoutWaits(List<ProcessorDefinition<?>> outputs) {
        for (ProcessorDefinition<?> p : outputs) {
            if (p instanceof OnExceptionDefinition clause) {
                clause.redeliveryDelay(0).maximumRedeliveryDelay(0);
            } else if (p instanceof DelayDefinition delay) {
                delay.setExpression(new ConstantExpression("0"));
            }
            withoutWaits(p.getOutputs());
        }
    }

    Outcome run(TestFile.Case c) throws Exception {
        current = c;
        outcome = new Outcome();
        ids = 0; // message ids count from 1 in every case
        Exchange exchange = new DefaultExchange(context);
        String body = c.input() == null ? "" : c.input() instanceof String s ? s : Json.write(c.input());
        Processor start;
        switch (trigger.type()) {
            case RECEIVE_MESSAGE -> {
                Map<String, String> attributes = new LinkedHashMap<>();
                c.attributes().forEach((k, v) -> attributes.put(k, (String) v));
                Map<String, Object> metadata = new LinkedHashMap<>();
                if (c.key() != null) {
                    metadata.put("key", c.key());
                }
                exchange.setProperty(Messages.RECEIVED, new ReceivedMessage("test-message-1", body, attributes, "test-receipt",
                        Runs.clock(context).instant().toString(), metadata));
                exchange.getIn().setBody(body);
                start = only("caravan-");
            }
            case WEBHOOK -> {
                exchange.getIn().setBody(body.getBytes(StandardCharsets.UTF_8));
                exchange.getIn().setHeader(Exchange.HTTP_METHOD, "POST");
                exchange.getIn().setHeader(Exchange.CONTENT_TYPE, c.input() instanceof String ? "text/plain" : "application/json");
                c.attributes().forEach((k, v) -> exchange.getIn().setHeader(k, v));
                start = only("platform-http");
            }
            case SCHEDULE -> start = only("master");
            case CALL -> {
                exchange.getIn().setBody(c.input());
                exchange.setProperty(io.caravan.compile.nodes.WorkflowCalls.CALLER, new LinkedHashMap<>(c.caller()));
                start = e -> context.createProducerTemplate().send(io.caravan.compile.nodes.WorkflowCalls.endpoint(workflow.id()), e);
            }
            default -> throw new IllegalStateException("no trigger " + trigger.type());
        }
        start.process(exchange);
        RunContext run = exchange.getProperty(Runs.RUN, RunContext.class);
        if (outcome.error == null && run != null && !run.ranNodes().isEmpty()) {
            List<String> ran = run.ranNodes();
            outcome.output = run.output(ran.get(ran.size() - 1));
            outcome.completed = true;
        }
        return outcome;
    }

    private Processor only(String schemePrefix) {
        return triggers.entrySet().stream().filter(e -> e.getKey().startsWith(schemePrefix)).map(Map.Entry::getValue)
                .findFirst().orElseThrow(() -> new IllegalStateException("workflow '" + workflow.id()
                        + "' has no " + schemePrefix + " trigger in its routes"));
    }

    @Override
    public void consumer(String scheme, String remaining, Processor processor) {
        triggers.put(scheme + ":" + remaining, processor);
    }

    @Override
    public void send(String scheme, String remaining, Exchange exchange) {
        String node = exchange.getProperty(Runs.NODE, String.class);
        boolean deadLetter = Boolean.TRUE.equals(exchange.getProperty(Runs.DEAD_LETTERING));
        if (!deadLetter) {
            // the node's own send fails as stubbed; its dead letter, sent next with the node still named, goes
            stubbedError(node, "a send").ifPresent(e -> {
                throw e;
            });
        }
        Object raw = exchange.getMessage().getBody();
        String body = raw instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                : exchange.getMessage().getBody(String.class);
        String queueType = scheme.substring("caravan-".length());
        // which node's send or dead letter it was, and its destination as the workflow names it, the run's event says
        outcome.pending.add(new Sent(queueType, deadLetter ? DEAD_LETTER : remaining, node, body,
                Messages.attributes(exchange.getMessage()), exchange.getMessage().getHeader(Messages.KEY, String.class)));
        exchange.getMessage().setHeader(Messages.MESSAGE_ID, queueType + "-test-" + (++ids));
    }

    /** The stub of {@code node} in the case, or empty (and noted as missing when {@code needed}). */
    private Optional<Map<String, Object>> stub(String node, String what, boolean needed) {
        Map<String, Object> stub = current.stubs().get(node);
        if (stub == null && needed) {
            outcome.missingStubs.add("node '" + node + "' (" + what + ") has no stub: give it under stubs." + node);
        }
        return Optional.ofNullable(stub);
    }

    private Optional<CaravanException> stubbedError(String node, String what) {
        return stub(node, what, false).filter(s -> s.containsKey("error")).map(s -> error(node, s));
    }

    private static CaravanException error(String node, Map<String, Object> stub) {
        String code = String.valueOf(stub.get("error"));
        ErrorCode parsed;
        try {
            parsed = ErrorCode.valueOf(code);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("stubs." + node + ".error: unknown error code '" + code + "'; codes: "
                    + String.join(", ", java.util.Arrays.stream(ErrorCode.values()).map(Enum::name).toList()));
        }
        return new CaravanException(parsed, stub.get("message") == null ? "stubbed " + code : String.valueOf(stub.get("message")),
                node, null);
    }

    private HttpNode.Answer http(String workflowId, String nodeId, String method, URI uri, Map<String, String> headers, String body) {
        Map<String, Object> stub = stub(nodeId, "http " + method + " " + uri, true).orElseThrow(() ->
                new CaravanException(ErrorCode.CONNECTION_FAILED, "caravan test: no stub for http node '" + nodeId + "'", nodeId, null));
        if (stub.containsKey("error")) {
            throw error(nodeId, stub);
        }
        int status = stub.get("status") instanceof Number n ? n.intValue() : 200;
        Map<String, List<String>> answerHeaders = new LinkedHashMap<>();
        if (stub.get("headers") instanceof Map<?, ?> h) {
            h.forEach((k, v) -> answerHeaders.put(String.valueOf(k), List.of(String.valueOf(v))));
        }
        Object answer = stub.get("body");
        return new HttpNode.Answer(status, answerHeaders, answer == null ? "" : answer instanceof String s ? s : Json.write(answer));
    }

    private void called(String target, Exchange exchange) {
        String node = exchange.getProperty(Runs.NODE, String.class);
        Map<String, Object> reply = new LinkedHashMap<>();
        Optional<Map<String, Object>> stub = stub(node, "calls workflow " + target, true);
        if (stub.isEmpty() || stub.get().containsKey("error")) {
            CaravanException e = stub.isEmpty()
                    ? new CaravanException(ErrorCode.INTERNAL, "caravan test: no stub for workflow node '" + node + "'", node, null)
                    : error(node, stub.get());
            reply.put("status", "failed");
            reply.put("error", Map.of("code", e.code().name(), "node", node, "message", e.getMessage()));
        } else {
            reply.put("status", "completed");
            reply.put("output", stub.get().get("output"));
        }
        exchange.getMessage().setBody(Json.write(reply));
    }

    /** Pulls, replies and requests, answered from the case's stubs; nothing else is asked of it. */
    private final class StubProvisioner implements Provisioner {
        private final Binding binding;

        StubProvisioner(Binding binding) {
            this.binding = binding;
        }

        @Override
        public void bind(CamelContext context, Credential credential) {
        }

        @Override
        public void provision(CamelContext context, Channel channel, boolean consumed) {
        }

        @Override
        public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait, boolean deleteAfter) {
            Map<String, Object> stub = stub(channel.nodeId(), "a pull from " + channel.address(), true).orElse(Map.of());
            if (stub.containsKey("error")) {
                throw error(channel.nodeId(), stub);
            }
            List<ReceivedMessage> out = new ArrayList<>();
            if (stub.get("messages") instanceof List<?> list) {
                int i = 0;
                for (Object m : list) {
                    Map<?, ?> message = m instanceof Map<?, ?> mm && mm.containsKey("body") ? mm : Map.of("body", m);
                    Object b = message.get("body");
                    Map<String, String> attributes = new LinkedHashMap<>();
                    if (message.get("attributes") instanceof Map<?, ?> a) {
                        a.forEach((k, v) -> attributes.put(String.valueOf(k), String.valueOf(v)));
                    }
                    i++;
                    out.add(new ReceivedMessage("test-pulled-" + i, b instanceof String s ? s : Json.write(b), attributes,
                            "test-receipt-" + i, Runs.clock(context).instant().toString(), Map.of()));
                }
            }
            return out.subList(0, Math.min(max, out.size()));
        }

        @Override
        public Optional<QueueDepth> depth(CamelContext context, Channel channel) {
            return Optional.empty();
        }

        @Override
        public CaravanException classify(Throwable failure, Channel channel) {
            return failure instanceof CaravanException c ? c : binding.provisioner().classify(failure, channel);
        }

        @Override
        public String reply(CamelContext context, Channel channel, String correlationId, String body, Map<String, String> attributes) {
            stubbedError(channel.nodeId(), "a reply").ifPresent(e -> {
                throw e;
            });
            outcome.replies.add(new Sent(binding.queueType(), channel.address(), channel.nodeId(), body, attributes, null));
            return binding.queueType() + "-test-" + (++ids);
        }

        @Override
        public Optional<Reply> request(CamelContext context, Channel channel, String body, Map<String, String> attributes,
                                       String replyTo, Duration timeout) {
            Map<String, Object> stub = stub(channel.nodeId(), "a request to " + channel.address(), true).orElse(Map.of());
            if (stub.containsKey("error")) {
                throw error(channel.nodeId(), stub);
            }
            outcome.sent.computeIfAbsent(channel.nodeId(), k -> new ArrayList<>())
                    .add(new Sent(binding.queueType(), channel.address(), channel.nodeId(), body, attributes, null));
            if (!(stub.get("reply") instanceof Map<?, ?> reply)) {
                return Optional.empty();
            }
            Object b = reply.get("body");
            Map<String, String> replyAttributes = new LinkedHashMap<>();
            if (reply.get("attributes") instanceof Map<?, ?> a) {
                a.forEach((k, v) -> replyAttributes.put(String.valueOf(k), String.valueOf(v)));
            }
            return Optional.of(new Reply(b == null ? "" : b instanceof String s ? s : Json.write(b), replyAttributes));
        }
    }

    /** The run's events, which say which producer's message was a node's send and which a dead letter. */
    private final class Recorder implements RunEvents {
        @Override
        public void sent(String workflowId, String nodeId, String queueType, String destination) {
            claim(s -> !s.destination().equals(DEAD_LETTER) && nodeId.equals(s.node()), destination)
                    .ifPresent(s -> outcome.sent.computeIfAbsent(nodeId, k -> new ArrayList<>()).add(s));
        }

        @Override
        public void deadLettered(String workflowId, String nodeId, String queueType, String destination) {
            claim(s -> s.destination().equals(DEAD_LETTER), destination).ifPresent(outcome.deadLetters::add);
        }

        @Override
        public void failed(String workflowId, CaravanException error) {
            if (outcome.error == null) {
                outcome.error = error;
            }
        }

        /** The latest message a producer took that the event is about, with the event's destination. */
        private Optional<Sent> claim(java.util.function.Predicate<Sent> about, String destination) {
            for (int i = outcome.pending.size() - 1; i >= 0; i--) {
                Sent s = outcome.pending.get(i);
                if (about.test(s)) {
                    outcome.pending.remove(i);
                    return Optional.of(new Sent(s.queueType(), destination, s.node(), s.body(), s.attributes(), s.key()));
                }
            }
            return Optional.empty();
        }
    }

    @Override
    public void close() throws Exception {
        context.close();
    }
}
