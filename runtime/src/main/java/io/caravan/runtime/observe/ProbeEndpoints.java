package io.caravan.runtime.observe;

import io.caravan.Json;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

/**
 * {@code GET /health} (liveness) and {@code GET /ready} (readiness) on camel-main's management
 * server, beside the {@code /metrics} that camel-micrometer-prometheus serves there.
 *
 * <p>Camel's own health endpoint cannot be these two paths: {@code camel.management.healthPath}
 * moves the whole tree ({@code <path>}, {@code <path>/live}, {@code <path>/ready}), and its
 * {@code <path>} answers for liveness and readiness together (ManagementHttpServer
 * .setupHealthCheckConsole in camel-platform-http-main 4.17). So these two handlers are added to
 * the same Vert.x router and read the same HealthCheckRegistry; Camel's tree stays under
 * {@code /observe/health} for the details.
 */
final class ProbeEndpoints {

    private ProbeEndpoints() {
    }

    /** Adds the routes; false when camel.management.enabled is off and there is no server. */
    static boolean install(CamelContext context) {
        ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
        if (server == null || server.getRouter() == null) {
            return false;
        }
        server.getRouter().route("/health").blockingHandler(rc -> liveness(context, rc));
        server.getRouter().route("/ready").blockingHandler(rc -> readiness(context, rc));
        return true;
    }

    /** Up while the Camel context runs: Camel's "context" check, or the context's own status. */
    private static void liveness(CamelContext context, RoutingContext rc) {
        boolean up = HealthCheckHelper.invoke(context, "context", Map.of())
                .map(r -> r.getState() == HealthCheck.State.UP)
                .orElseGet(() -> context.getStatus().isStarted());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("context", context.getStatus().name());
        answer(rc, up, body);
    }

    /**
     * Ready when every readiness check is UP: Caravan's {@link QueuesHealthCheck} and Camel's
     * route and consumer checks. The body lists each check, with why it is down.
     */
    private static void readiness(CamelContext context, RoutingContext rc) {
        // "full": every check is listed; Camel's default level leaves out the ones that are UP
        Collection<HealthCheck.Result> results = HealthCheckHelper.invokeReadiness(context, "full");
        boolean up = HealthCheckHelper.isResultsUp(results, true);
        List<Map<String, Object>> checks = new ArrayList<>();
        for (HealthCheck.Result r : results) {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("id", r.getCheck().getId());
            check.put("status", r.getState().name());
            r.getMessage().ifPresent(m -> check.put("message", m));
            checks.add(check);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", checks);
        answer(rc, up, body);
    }

    private static void answer(RoutingContext rc, boolean up, Map<String, Object> body) {
        rc.response().setStatusCode(up ? 200 : 503).putHeader("Content-Type", "application/json")
                .end(Json.write(body));
    }
}
