package io.caravan.runtime.management;

import io.caravan.Json;
import io.caravan.binding.ReceivedMessage;
import io.caravan.compile.CompiledWorkflow;
import io.caravan.runtime.WorkflowDeployer;
import io.caravan.workflow.Edge;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console at {@code /console} on the management port: the workflows with their state,
 * source and version, each drawn from its nodes and edges with live counts per node and its
 * last errors; start, stop, suspend, resume and reload (the workflow MBean's operations); and a
 * browser of every dead-letter destination with redrive ({@link DeadLetters}). The page is one
 * HTML file with a small script (no build step); it reads and acts through the JSON API under
 * {@code /console/api}, which {@code caravan dlq} uses too.
 *
 * <p>Bound like the rest of the management port ({@code caravan.management.host}, loopback by
 * default). Like Jolokia, the console can act, so on another address it needs a login,
 * {@code caravan.console.user} and {@code caravan.console.password} (HTTP basic), or it is not
 * served. Every POST must carry the header {@code X-Caravan-Console: 1}: a page of another site
 * cannot send it without CORS, which is not offered, so it cannot act through a user's browser.
 */
public final class Console {

    public static final String USER = "caravan.console.user";
    public static final String PASSWORD = "caravan.console.password";
    public static final String ACTION_HEADER = "X-Caravan-Console";
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    private static final int MAX_PAGE = 500;

    private final CamelContext context;
    private final WorkflowDeployer deployer;
    private final RunRecords records;
    private final DeadLetters deadLetters;
    private final String login;

    private Console(CamelContext context, WorkflowDeployer deployer, RunRecords records, String login) {
        this.context = context;
        this.deployer = deployer;
        this.records = records;
        this.deadLetters = new DeadLetters(context, deployer);
        this.login = login;
    }

    /** Adds the console's routes to the management server, when there is one and its rules allow. */
    static void install(CamelContext context, WorkflowDeployer deployer, RunRecords records) {
        ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
        if (server == null || server.getRouter() == null) {
            return;
        }
        String host = context.getPropertiesComponent().resolveProperty("camel.management.host").orElse("127.0.0.1");
        String user = context.getPropertiesComponent().resolveProperty(USER).orElse(null);
        String password = context.getPropertiesComponent().resolveProperty(PASSWORD).orElse(null);
        String login = null;
        if (user != null && !user.isBlank() && password != null && !password.isBlank()) {
            login = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        } else if (!Management.isLoopback(host)) {
            LOG.warn("the console is not served: the management port is bound to {} (caravan.management.host) and {}"
                    + " and {} are not set", host, USER, PASSWORD);
            return;
        }
        new Console(context, deployer, records, login).routes(server.getRouter());
    }

    private void routes(Router router) {
        router.route("/console*").handler(rc -> {
            if (login != null && !constantTimeEquals(login, rc.request().getHeader("Authorization"))) {
                rc.response().setStatusCode(401).putHeader("WWW-Authenticate", "Basic realm=\"caravan console\"").end();
                return;
            }
            if (rc.request().method().name().equals("POST") && !"1".equals(rc.request().getHeader(ACTION_HEADER))) {
                json(rc, 403, Map.of("error", "a console action needs the header " + ACTION_HEADER + ": 1"));
                return;
            }
            rc.next();
        });
        router.get("/console").handler(rc -> file(rc, "index.html", "text/html; charset=utf-8"));
        router.get("/console/").handler(rc -> file(rc, "index.html", "text/html; charset=utf-8"));
        router.get("/console/console.js").handler(rc -> file(rc, "console.js", "text/javascript; charset=utf-8"));
        router.get("/console/api/workflows").blockingHandler(rc -> json(rc, 200, workflows()));
        router.post("/console/api/workflows/:id/:op").blockingHandler(this::operate);
        router.get("/console/api/dead-letters").blockingHandler(rc -> json(rc, 200, destinations()));
        router.get("/console/api/dead-letters/messages").blockingHandler(this::messages);
        router.post("/console/api/dead-letters/redrive").handler(BodyHandler.create().setBodyLimit(1 << 20));
        router.post("/console/api/dead-letters/redrive").blockingHandler(this::redrive);
    }

    private static boolean constantTimeEquals(String expected, String given) {
        return given != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), given.getBytes(StandardCharsets.UTF_8));
    }

    private void file(RoutingContext rc, String name, String type) {
        try (InputStream in = Console.class.getResourceAsStream("/console/" + name)) {
            if (in == null) {
                rc.response().setStatusCode(404).end();
                return;
            }
            rc.response().putHeader("Content-Type", type).putHeader("Cache-Control", "no-store")
                    .putHeader("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
                    .putHeader("X-Frame-Options", "DENY")
                    .end(io.vertx.core.buffer.Buffer.buffer(in.readAllBytes()));
        } catch (IOException e) {
            rc.fail(e);
        }
    }

    private static void json(RoutingContext rc, int status, Object body) {
        rc.response().setStatusCode(status).putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
                .end(Json.write(body));
    }

    // ---- workflows

    private List<Map<String, Object>> workflows() {
        MeterRegistry meters = context.getRegistry().findSingleByType(MeterRegistry.class);
        List<Map<String, Object>> out = new ArrayList<>();
        for (CompiledWorkflow cw : deployer.runningAndWaiting()) {
            Workflow w = cw.workflow();
            WorkflowControl control = new WorkflowControl(w.id(), context, deployer, records);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", w.id());
            m.put("name", w.name());
            m.put("state", deployer.waiting().contains(w.id()) ? "Waiting" : control.getState());
            m.put("source_file", w.sourceFile());
            m.put("version", w.version());
            m.put("runs_started", records.started(w.id()));
            m.put("runs_failed", records.failed(w.id()));
            m.put("in_flight", gauge(meters, io.caravan.runtime.observe.Observability.IN_FLIGHT, w.id()));
            List<Map<String, Object>> nodes = new ArrayList<>();
            for (WorkflowNode n : w.nodes()) {
                Map<String, Object> node = new LinkedHashMap<>();
                node.put("id", n.id());
                node.put("type", n.type().wireName());
                node.put("name", n.name());
                node.put("received", count(meters, io.caravan.runtime.observe.RunMetrics.RECEIVED, w.id(), n.id()));
                node.put("sent", count(meters, io.caravan.runtime.observe.RunMetrics.SENT, w.id(), n.id()));
                node.put("failed", count(meters, io.caravan.runtime.observe.RunMetrics.FAILED, w.id(), n.id()));
                node.put("retried", count(meters, io.caravan.runtime.observe.RunMetrics.RETRIED, w.id(), n.id()));
                node.put("dead_lettered", count(meters, io.caravan.runtime.observe.RunMetrics.DEAD_LETTERED, w.id(), n.id()));
                nodes.add(node);
            }
            m.put("nodes", nodes);
            List<Map<String, Object>> edges = new ArrayList<>();
            for (Edge e : w.edges()) {
                Map<String, Object> edge = new LinkedHashMap<>();
                edge.put("from", e.from());
                edge.put("to", e.to());
                if (e.when() != null) {
                    edge.put("when", e.when());
                }
                if (e.label() != null) {
                    edge.put("label", e.label());
                }
                edges.add(edge);
            }
            m.put("edges", edges);
            m.put("last_errors", records.lastErrors(w.id()).stream().map(e -> {
                Map<String, Object> err = new LinkedHashMap<>();
                err.put("code", e.code());
                err.put("node", e.node());
                err.put("message", e.message());
                err.put("time", e.time().toString());
                return err;
            }).toList());
            out.add(m);
        }
        return out;
    }

    /** A counter summed over its other tags (a failure's code). */
    private static double count(MeterRegistry meters, String name, String workflow, String node) {
        if (meters == null) {
            return 0;
        }
        return meters.find(name).tag("workflow", workflow).tag("node", node).counters().stream().mapToDouble(Counter::count).sum();
    }

    private static double gauge(MeterRegistry meters, String name, String workflow) {
        if (meters == null) {
            return 0;
        }
        return meters.find(name).tag("workflow", workflow).gauges().stream().mapToDouble(Gauge::value).filter(v -> !Double.isNaN(v)).sum();
    }

    private void operate(RoutingContext rc) {
        String id = rc.pathParam("id");
        String op = rc.pathParam("op");
        if (deployer.workflow(id).isEmpty()) {
            json(rc, 404, Map.of("error", "no workflow '" + id + "' runs here"));
            return;
        }
        WorkflowControl control = new WorkflowControl(id, context, deployer, records);
        try {
            String result = switch (op) {
                case "start" -> {
                    control.start();
                    yield control.getState();
                }
                case "stop" -> {
                    control.stop();
                    yield control.getState();
                }
                case "suspend" -> {
                    control.suspend();
                    yield control.getState();
                }
                case "resume" -> {
                    control.resume();
                    yield control.getState();
                }
                case "reload" -> "version " + control.reload();
                default -> null;
            };
            if (result == null) {
                json(rc, 404, Map.of("error", "no operation '" + op + "'; operations: start, stop, suspend, resume, reload"));
                return;
            }
            LOG.info("console: workflow '{}' {}: {}", id, op, result);
            json(rc, 200, Map.of("workflow", id, "operation", op, "result", result));
        } catch (Exception e) {
            json(rc, 409, Map.of("workflow", id, "operation", op, "error", String.valueOf(e.getMessage())));
        }
    }

    // ---- dead letters

    private List<Map<String, Object>> destinations() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (DeadLetters.Destination d : deadLetters.destinations()) {
            Map<String, Object> m = describe(d);
            try {
                m.put("count", deadLetters.count(d));
            } catch (Exception e) {
                m.put("count", null);
                m.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            m.put("targets", deadLetters.targets(d));
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> describe(DeadLetters.Destination d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("queue_type", d.queueType());
        m.put("destination", d.destination());
        m.put("credential_id", d.credentialId());
        m.put("workflows", d.workflows());
        return m;
    }

    private DeadLetters.Destination destination(RoutingContext rc, Map<String, Object> given) {
        String queueType = param(rc, given, "queue_type");
        String destination = param(rc, given, "destination");
        String credential = param(rc, given, "credential_id");
        return deadLetters.destination(queueType, destination, credential).orElse(null);
    }

    private static String param(RoutingContext rc, Map<String, Object> given, String name) {
        Object v = given != null ? given.get(name) : rc.request().getParam(name);
        return v == null ? "" : String.valueOf(v);
    }

    private void messages(RoutingContext rc) {
        DeadLetters.Destination d = destination(rc, null);
        if (d == null) {
            json(rc, 404, Map.of("error", "no dead-letter destination with that queue_type, destination and credential_id;"
                    + " GET /console/api/dead-letters lists them"));
            return;
        }
        int max = Math.min(MAX_PAGE, Math.max(1, parseInt(rc.request().getParam("max"), 20)));
        try {
            Map<String, Object> m = describe(d);
            DeadLetters.Page page = deadLetters.browse(d, max);
            m.put("count", page.count());
            List<Map<String, Object>> messages = new ArrayList<>();
            for (ReceivedMessage r : page.messages()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("id", r.id());
                one.put("timestamp", r.timestamp());
                one.put("body", r.body());
                Map<String, String> caravan = new java.util.TreeMap<>();
                Map<String, String> attributes = new LinkedHashMap<>();
                r.attributes().forEach((k, v) -> (k.startsWith("caravan-") ? caravan : attributes).put(k, v));
                one.put("caravan", caravan);
                one.put("attributes", attributes);
                if (r.metadata() != null && r.metadata().get("key") != null) {
                    one.put("key", String.valueOf(r.metadata().get("key")));
                }
                messages.add(one);
            }
            m.put("messages", messages);
            m.put("targets", deadLetters.targets(d));
            json(rc, 200, m);
        } catch (Exception e) {
            json(rc, 502, Map.of("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
    }

    @SuppressWarnings("unchecked")
    private void redrive(RoutingContext rc) {
        Map<String, Object> body;
        try {
            body = Json.MAPPER.readValue(rc.body().asString(), Map.class);
        } catch (Exception e) {
            json(rc, 400, Map.of("error", "the body must be a JSON object: " + e.getMessage()));
            return;
        }
        DeadLetters.Destination d = destination(rc, body);
        if (d == null) {
            json(rc, 404, Map.of("error", "no dead-letter destination with that queue_type, destination and credential_id"));
            return;
        }
        Set<String> ids = null;
        if (body.get("ids") instanceof List<?> list) {
            ids = new LinkedHashSet<>();
            for (Object o : list) {
                ids.add(String.valueOf(o));
            }
        } else if (!Boolean.TRUE.equals(body.get("all"))) {
            json(rc, 400, Map.of("error", "say which: \"ids\": [...] or \"all\": true"));
            return;
        }
        List<DeadLetters.Target> targets = deadLetters.targets(d);
        DeadLetters.Target target;
        if (body.get("target") instanceof Map<?, ?> t) {
            target = targets.stream().filter(x -> x.queueType().equals(t.get("queue_type")) && x.address().equals(t.get("address"))
                    && x.credentialId().equals(t.get("credential_id"))).findFirst().orElse(null);
            if (target == null) {
                json(rc, 400, Map.of("error", "target must be one of the workflows' sources", "targets", targets));
                return;
            }
        } else if (targets.isEmpty()) {
            json(rc, 400, Map.of("error", "no workflow reads a queue to redrive to; give a target"));
            return;
        } else {
            target = targets.get(0);
        }
        int max = parseInt(body.get("max") == null ? null : String.valueOf(body.get("max")), 10_000);
        try {
            DeadLetters.Result r = deadLetters.redrive(d, ids, target, max);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("moved", r.moved());
            out.put("ids", r.ids());
            out.put("target", target);
            if (r.stopped() != null) {
                out.put("stopped", r.stopped());
            }
            json(rc, r.stopped() == null ? 200 : 207, out);
        } catch (Exception e) {
            json(rc, 502, Map.of("error", e.getClass().getSimpleName() + ": " + e.getMessage()));
        }
    }

    private static int parseInt(String text, int otherwise) {
        try {
            return text == null ? otherwise : Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }
}
