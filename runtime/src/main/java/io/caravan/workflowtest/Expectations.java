package io.caravan.workflowtest;

import io.caravan.CaravanException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a case expects against what its run did. {@code sent} names nodes: each named node's
 * messages must be exactly those listed, in order (a message's {@code body} compared as JSON when
 * it is JSON, and its {@code key} and {@code destination} when the expectation gives them; the
 * {@code attributes} it names must be there with those values, others may be too);
 * {@code dead_letters} and {@code replies} likewise; {@code output} is compared whole;
 * {@code error} by {@code code}, {@code node} and (contained) {@code message}. A run that failed
 * when the case expects no error, and a node that reached for a stub the case does not give,
 * fail the case.
 */
final class Expectations {

    private Expectations() {
    }

    static List<String> check(TestFile.Case c, Harness.Outcome run) {
        List<String> problems = new ArrayList<>(run.missingStubs);
        Map<String, Object> expect = c.expect();
        if (expect.get("sent") instanceof Map<?, ?> sent) {
            sent.forEach((node, messages) -> messages(problems, "sent." + node, messages,
                    run.sent.getOrDefault(String.valueOf(node), List.of())));
        } else if (expect.containsKey("sent")) {
            problems.add("expect.sent must be an object: node id -> the messages it sends");
        }
        if (expect.containsKey("dead_letters")) {
            messages(problems, "dead_letters", expect.get("dead_letters"), run.deadLetters);
        }
        if (expect.containsKey("replies")) {
            messages(problems, "replies", expect.get("replies"), run.replies);
        }
        CaravanException error = run.error;
        if (expect.get("error") instanceof Map<?, ?> e) {
            if (error == null) {
                problems.add("error: expected " + JsonDiff.shown(e) + ", but the run completed"
                        + (run.completed ? " with output " + JsonDiff.shown(run.output) : ""));
            } else {
                if (e.containsKey("code") && !String.valueOf(e.get("code")).equals(error.code().name())) {
                    problems.add("error.code: expected " + e.get("code") + ", got " + error.code() + " (" + error.getMessage() + ")");
                }
                if (e.containsKey("node") && !String.valueOf(e.get("node")).equals(error.node())) {
                    problems.add("error.node: expected " + e.get("node") + ", got " + error.node());
                }
                if (e.containsKey("message") && !String.valueOf(error.getMessage()).contains(String.valueOf(e.get("message")))) {
                    problems.add("error.message: expected it to contain " + JsonDiff.shown(e.get("message")) + ", got "
                            + JsonDiff.shown(error.getMessage()));
                }
            }
        } else if (expect.containsKey("error")) {
            problems.add("expect.error must be an object with code, node or message");
        } else if (error != null) {
            problems.add("the run failed in node '" + error.node() + "': " + error.code() + ": " + error.getMessage());
        }
        if (expect.containsKey("output")) {
            if (error != null && !expect.containsKey("error")) {
                // already said
            } else if (!run.completed) {
                problems.add("output: expected " + JsonDiff.shown(expect.get("output")) + ", but the run gave none");
            } else {
                problems.addAll(JsonDiff.differences("output", expect.get("output"), run.output));
            }
        }
        return problems;
    }

    private static void messages(List<String> problems, String path, Object expected, List<Harness.Sent> actual) {
        if (!(expected instanceof List<?> list)) {
            problems.add(path + " must be a list of messages ([] for none)");
            return;
        }
        for (int i = 0; i < Math.max(list.size(), actual.size()); i++) {
            String at = path + "[" + i + "]";
            if (i >= actual.size()) {
                problems.add(at + ": expected " + JsonDiff.shown(list.get(i)) + ", but only " + actual.size() + " sent");
                continue;
            }
            Harness.Sent got = actual.get(i);
            if (i >= list.size()) {
                problems.add(at + ": not expected, got " + JsonDiff.shown(got.shown()));
                continue;
            }
            if (!(list.get(i) instanceof Map<?, ?> want)) {
                problems.add(at + " must be an object with body, attributes, key or destination");
                continue;
            }
            Map<String, Object> compared = new LinkedHashMap<>();
            Map<String, Object> shown = got.shown();
            for (Object k : want.keySet()) {
                if (!shown.containsKey(String.valueOf(k)) && !"key".equals(k)) {
                    problems.add(at + "." + k + ": messages have destination, body, attributes and key");
                }
                Object value = shown.get(String.valueOf(k));
                if ("attributes".equals(k) && want.get(k) instanceof Map<?, ?> named && value instanceof Map<?, ?> all) {
                    // the attributes named must be there with those values; others may be too
                    Map<String, Object> only = new LinkedHashMap<>();
                    named.keySet().forEach(n -> {
                        if (all.containsKey(String.valueOf(n))) {
                            only.put(String.valueOf(n), all.get(String.valueOf(n)));
                        }
                    });
                    value = only;
                }
                compared.put(String.valueOf(k), value);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> wanted = (Map<String, Object>) want;
            problems.addAll(JsonDiff.differences(at, wanted, compared));
        }
    }
}
