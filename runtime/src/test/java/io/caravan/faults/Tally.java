package io.caravan.faults;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Accounts for every message of a fault scenario by the unique id in its body: what was sent,
 * every copy found downstream and in the dead-letter queue, and from that the figures the
 * scenario prints: delivered and dead-lettered copies, duplicated copies (more than one copy of
 * an id, downstream and DLQ together) and lost ids (sent, found nowhere).
 */
final class Tally {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

    private final String scenario;
    private final Set<String> sent = new LinkedHashSet<>();
    private final Map<String, Integer> copies = new HashMap<>();
    private final List<String> unknown = new ArrayList<>();
    private int delivered;
    private int deadLettered;

    Tally(String scenario) {
        this.scenario = scenario;
    }

    /** The body of message {@code n}, carrying its unique id. */
    String sent(String run, int n) {
        String id = "%s-%05d".formatted(run, n);
        sent.add(id);
        return "{\"id\": \"" + id + "\", \"n\": " + n + "}";
    }

    void delivered(String body) {
        delivered++;
        count(body);
    }

    void deadLettered(String body) {
        deadLettered++;
        count(body);
    }

    /** A poison message, sent as is: its id is in it, but it is not JSON. */
    String poison(String run, int n) {
        String id = "%s-%05d".formatted(run, n);
        sent.add(id);
        return "not json at all \"id\": \"" + id + "\"";
    }

    private void count(String body) {
        Matcher m = ID.matcher(body);
        if (!m.find() || !sent.contains(m.group(1))) {
            unknown.add(body);
            return;
        }
        copies.merge(m.group(1), 1, Integer::sum);
    }

    int sentCount() {
        return sent.size();
    }

    /** Copies found downstream and in the DLQ, all ids together. */
    int found() {
        return delivered + deadLettered;
    }

    int duplicated() {
        return copies.values().stream().mapToInt(c -> c - 1).sum();
    }

    List<String> lostIds() {
        return sent.stream().filter(id -> !copies.containsKey(id)).toList();
    }

    List<String> unknownBodies() {
        return unknown;
    }

    String summary() {
        return "FAULTS scenario=%s sent=%d delivered=%d dead_lettered=%d duplicated=%d lost=%d"
                .formatted(scenario, sent.size(), delivered, deadLettered, duplicated(), lostIds().size());
    }
}
