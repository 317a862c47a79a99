package io.caravan.workflowtest;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@code *.test.yaml} file: the workflow it tests, the time its runs see, and its cases.
 *
 * <pre>
 * workflow: orders-kafka-to-sqs          # the id of a workflow in a file beside this one
 * now: "2026-12-01T09:00:00Z"             # what {{now}} and timestamps read (default 2026-01-01T00:00:00Z)
 * cases:
 *   - name: an order becomes a compact message
 *     input: {order_id: o-1}              # the trigger's message body, webhook body or schedule payload
 *     attributes: {tenant: acme}          # message attributes (headers: a webhook's HTTP headers)
 *     key: k-1                            # a message trigger's key (a Kafka record's)
 *     caller: {workflow_id: checkout}     # a call trigger's caller (default caravan-test)
 *     stubs:                              # by node id: what a node that reaches outside gets
 *       lookup: {status: 200, body: {...}}   # http: the response
 *       charge: {error: TIMEOUT}             # any such node: it fails with this code
 *       pull: {messages: [{body: ...}]}      # a receive_message pull
 *       enrich: {output: {...}}              # a workflow node: the called workflow's output
 *       ask: {reply: {body: ...}}            # a send_message that waits for a reply
 *     expect:
 *       sent: {send-processed: [{body: {...}, attributes: {...}, key: ...}]}
 *       dead_letters: [{destination: orders.dlq, attributes: {caravan-error-code: ...}}]
 *       replies: [{body: ...}]
 *       output: {...}                      # the run's output (the last node's)
 *       error: {code: TIMEOUT, node: charge}
 * </pre>
 */
record TestFile(Path path, String workflowId, Instant now, List<Case> cases) {

    /** Unless a test file says otherwise, runs see this instant as now. */
    static final Instant DEFAULT_NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Set<String> FILE_KEYS = Set.of("workflow", "now", "cases");
    private static final Set<String> CASE_KEYS = Set.of("name", "input", "attributes", "headers", "key", "caller", "stubs",
            "expect");
    private static final Set<String> EXPECT_KEYS = Set.of("sent", "dead_letters", "replies", "output", "error");
    static final Set<String> STUB_KEYS = Set.of("status", "headers", "body", "error", "message", "messages", "output", "reply");

    /** One case: the trigger's input, the stubs and what must come out. */
    record Case(String name, Object input, Map<String, Object> attributes, String key, Map<String, Object> caller,
                Map<String, Map<String, Object>> stubs, Map<String, Object> expect) {
    }

    /** A test file that cannot be read, with where and what. */
    static final class Invalid extends Exception {
        Invalid(Path file, String message) {
            super(file + ": " + message);
        }
    }

    static TestFile read(Path file) throws Invalid {
        Object doc;
        try {
            doc = YAML.readValue(Files.readString(file), Object.class);
        } catch (Exception e) {
            throw new Invalid(file, "not YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        Map<String, Object> top = map(file, doc, "the file");
        unknown(file, top, FILE_KEYS, "the file");
        if (!(top.get("workflow") instanceof String workflow) || workflow.isBlank()) {
            throw new Invalid(file, "workflow: give the id of the workflow under test");
        }
        Instant now = DEFAULT_NOW;
        if (top.containsKey("now")) {
            try {
                now = Instant.parse(String.valueOf(top.get("now")));
            } catch (DateTimeParseException e) {
                throw new Invalid(file, "now: '" + top.get("now") + "' is not an ISO-8601 instant like 2026-12-01T09:00:00Z");
            }
        }
        if (!(top.get("cases") instanceof List<?> list) || list.isEmpty()) {
            throw new Invalid(file, "cases: give a list of at least one case");
        }
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "cases[" + i + "]";
            Map<String, Object> c = map(file, list.get(i), where);
            unknown(file, c, CASE_KEYS, where);
            String name = c.get("name") == null ? "case " + (i + 1) : String.valueOf(c.get("name"));
            Map<String, Object> attributes = new LinkedHashMap<>();
            for (String key : List.of("attributes", "headers")) {
                if (c.containsKey(key)) {
                    map(file, c.get(key), where + "." + key).forEach((k, v) -> attributes.put(k, v == null ? null : String.valueOf(v)));
                }
            }
            Map<String, Map<String, Object>> stubs = new LinkedHashMap<>();
            if (c.containsKey("stubs")) {
                for (Map.Entry<String, Object> e : map(file, c.get("stubs"), where + ".stubs").entrySet()) {
                    Map<String, Object> stub = map(file, e.getValue(), where + ".stubs." + e.getKey());
                    unknown(file, stub, STUB_KEYS, where + ".stubs." + e.getKey());
                    stubs.put(e.getKey(), stub);
                }
            }
            Map<String, Object> expect = c.containsKey("expect") ? map(file, c.get("expect"), where + ".expect") : Map.of();
            unknown(file, expect, EXPECT_KEYS, where + ".expect");
            if (expect.isEmpty()) {
                throw new Invalid(file, where + " (" + name + "): expect: say what must come out (sent, dead_letters,"
                        + " replies, output or error)");
            }
            Map<String, Object> caller = new LinkedHashMap<>(Map.of("workflow_id", "caravan-test", "node", "test",
                    "execution_id", "test-caller-1"));
            if (c.containsKey("caller")) {
                caller.putAll(map(file, c.get("caller"), where + ".caller"));
            }
            cases.add(new Case(name, c.get("input"), attributes, c.get("key") == null ? null : String.valueOf(c.get("key")),
                    caller, stubs, expect));
        }
        return new TestFile(file, workflow, now, cases);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Path file, Object value, String where) throws Invalid {
        if (!(value instanceof Map<?, ?> m)) {
            throw new Invalid(file, where + " must be an object, got " + (value == null ? "nothing" : value));
        }
        return (Map<String, Object>) m;
    }

    private static void unknown(Path file, Map<String, Object> map, Set<String> valid, String where) throws Invalid {
        for (String key : map.keySet()) {
            if (!valid.contains(key)) {
                throw new Invalid(file, "unknown key '" + key + "' in " + where + "; valid keys: "
                        + String.join(", ", valid.stream().sorted().toList()));
            }
        }
    }
}
