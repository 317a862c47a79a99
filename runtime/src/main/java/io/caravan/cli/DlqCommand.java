package io.caravan.cli;

import io.caravan.Json;
import io.caravan.runtime.management.Console;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code caravan dlq list|show|redrive}: the console's dead-letter browser from the command line,
 * through the same API of a running Caravan's management port ({@code --url}, default
 * {@code http://127.0.0.1:<caravan.management.port>}; a login from CARAVAN_CONSOLE_USER and
 * CARAVAN_CONSOLE_PASSWORD when the console asks for one).
 */
final class DlqCommand {

    static final String USAGE = """
            usage: caravan dlq list
                   caravan dlq show QUEUE_TYPE DESTINATION [--credential-id ID] [--max N]
                   caravan dlq redrive QUEUE_TYPE DESTINATION (--all | MESSAGE_ID...) [--credential-id ID]
                                       [--to QUEUE_TYPE:ADDRESS] [--max N]
            options: --url URL (default http://127.0.0.1:<caravan.management.port>)
            """;

    private final PrintStream out;
    private final PrintStream err;
    private final String url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    DlqCommand(PrintStream out, PrintStream err, String url) {
        this.out = out;
        this.err = err;
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    int run(List<String> words, String credentialId, boolean all, Integer max, String to) throws Exception {
        if (words.isEmpty()) {
            err.print(USAGE);
            return 2;
        }
        switch (words.get(0)) {
            case "list" -> {
                return list();
            }
            case "show", "redrive" -> {
                if (words.size() < 3) {
                    err.print(USAGE);
                    return 2;
                }
                Map<String, Object> d = find(words.get(1), words.get(2), credentialId);
                if (d == null) {
                    return 1;
                }
                return words.get(0).equals("show") ? show(d, max == null ? 20 : max)
                        : redrive(d, words.subList(3, words.size()), all, max, to);
            }
            default -> {
                err.print(USAGE);
                return 2;
            }
        }
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> destinations() throws Exception {
        return (List<Map<String, Object>>) call("GET", "/dead-letters", null);
    }

    private int list() throws Exception {
        List<Map<String, Object>> all = destinations();
        if (all.isEmpty()) {
            out.println("no dead-letter destinations: no running workflow names one");
            return 0;
        }
        out.printf("%-9s %-32s %-16s %8s  %s%n", "broker", "destination", "credential", "waiting", "workflows");
        for (Map<String, Object> d : all) {
            out.printf("%-9s %-32s %-16s %8s  %s%n", d.get("queue_type"), d.get("destination"), d.get("credential_id"),
                    d.get("count") == null ? "?" : d.get("count"), String.join(", ", (List<String>) d.get("workflows"))
                            + (d.get("error") == null ? "" : "  (" + d.get("error") + ")"));
        }
        return 0;
    }

    private Map<String, Object> find(String queueType, String destination, String credentialId) throws Exception {
        List<Map<String, Object>> matches = new ArrayList<>();
        for (Map<String, Object> d : destinations()) {
            if (d.get("queue_type").equals(queueType) && d.get("destination").equals(destination)
                    && (credentialId == null || d.get("credential_id").equals(credentialId))) {
                matches.add(d);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        err.println("caravan dlq: " + (matches.isEmpty() ? "no dead-letter destination " + queueType + " " + destination
                + (credentialId == null ? "" : " with credential " + credentialId) + "; caravan dlq list shows them"
                : queueType + " " + destination + " is used with several credentials: give --credential-id"));
        return null;
    }

    private static String query(Map<String, Object> d) {
        return "queue_type=" + enc(d.get("queue_type")) + "&destination=" + enc(d.get("destination")) + "&credential_id="
                + enc(d.get("credential_id"));
    }

    private static String enc(Object v) {
        return URLEncoder.encode(String.valueOf(v), StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private int show(Map<String, Object> d, int max) throws Exception {
        Map<String, Object> page = (Map<String, Object>) call("GET", "/dead-letters/messages?" + query(d) + "&max=" + max, null);
        List<Map<String, Object>> messages = (List<Map<String, Object>>) page.get("messages");
        out.println(d.get("queue_type") + " " + d.get("destination") + ": " + page.get("count") + " waiting, showing "
                + messages.size());
        for (Map<String, Object> m : messages) {
            out.println();
            out.println("id: " + m.get("id") + (m.get("timestamp") == null ? "" : "  at " + m.get("timestamp"))
                    + (m.get("key") == null ? "" : "  key " + m.get("key")));
            ((Map<String, Object>) m.get("caravan")).forEach((k, v) -> out.println("  " + k + ": " + v));
            ((Map<String, Object>) m.get("attributes")).forEach((k, v) -> out.println("  attribute " + k + ": " + v));
            out.println("  body: " + m.get("body"));
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    private int redrive(Map<String, Object> d, List<String> ids, boolean all, Integer max, String to) throws Exception {
        if (all == !ids.isEmpty()) {
            err.println("caravan dlq redrive: give --all or the ids of the messages (caravan dlq show lists them), not both");
            return 2;
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("queue_type", d.get("queue_type"));
        request.put("destination", d.get("destination"));
        request.put("credential_id", d.get("credential_id"));
        if (all) {
            request.put("all", true);
        } else {
            request.put("ids", ids);
        }
        if (max != null) {
            request.put("max", max);
        }
        if (to != null) {
            int colon = to.indexOf(':');
            if (colon < 1) {
                err.println("caravan dlq redrive: --to QUEUE_TYPE:ADDRESS, e.g. kafka:orders");
                return 2;
            }
            Map<String, Object> target = ((List<Map<String, Object>>) d.get("targets")).stream()
                    .filter(t -> t.get("queue_type").equals(to.substring(0, colon)) && t.get("address").equals(to.substring(colon + 1)))
                    .findFirst().orElse(null);
            if (target == null) {
                err.println("caravan dlq redrive: " + to + " is not a source of a running workflow; targets: "
                        + String.join(", ", ((List<Map<String, Object>>) d.get("targets")).stream()
                        .map(t -> t.get("queue_type") + ":" + t.get("address")).distinct().toList()));
                return 2;
            }
            request.put("target", target);
        }
        Map<String, Object> r = (Map<String, Object>) call("POST", "/dead-letters/redrive", request);
        Map<String, Object> target = (Map<String, Object>) r.get("target");
        List<String> moved = (List<String>) r.get("ids");
        out.println("moved " + r.get("moved") + " from " + d.get("queue_type") + " " + d.get("destination") + " to "
                + target.get("queue_type") + " " + target.get("address") + (moved.isEmpty() ? "" : ": "
                + String.join(", ", moved.subList(0, Math.min(10, moved.size()))) + (moved.size() > 10 ? ", ..." : "")));
        if (r.get("stopped") != null) {
            err.println("caravan dlq redrive: " + r.get("stopped"));
            return 1;
        }
        return 0;
    }

    private Object call(String method, String path, Object body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + "/console/api" + path)).timeout(Duration.ofMinutes(5));
        String user = System.getenv("CARAVAN_CONSOLE_USER");
        String password = System.getenv("CARAVAN_CONSOLE_PASSWORD");
        if (user != null && password != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                    .getBytes(StandardCharsets.UTF_8)));
        }
        if (method.equals("POST")) {
            request.header(Console.ACTION_HEADER, "1").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(Json.write(body)));
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new IllegalStateException("no Caravan answers at " + url + " (start one with bin/caravan run or dev, or give --url)");
        }
        if (response.statusCode() == 401) {
            throw new IllegalStateException(url + " asks for a login: set CARAVAN_CONSOLE_USER and CARAVAN_CONSOLE_PASSWORD");
        }
        Object parsed = Json.MAPPER.readValue(response.body(), Object.class);
        if (response.statusCode() >= 300 && response.statusCode() != 207) {
            throw new IllegalStateException(parsed instanceof Map<?, ?> m && m.get("error") != null ? String.valueOf(m.get("error"))
                    : "HTTP " + response.statusCode());
        }
        return parsed;
    }
}
