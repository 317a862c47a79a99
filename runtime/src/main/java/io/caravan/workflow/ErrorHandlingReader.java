package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceList;
import io.caravan.source.SourceScalar;
import io.caravan.source.Problems;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Durations;
import io.caravan.spec.Field;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Reads an {@code error_handling} block (on a workflow or a node) into {@link ErrorHandling},
 * recording a problem with its place for every field that does not fit. The fields of each part
 * are declared once, below.
 */
final class ErrorHandlingReader {

    private final Problems problems;
    private final FieldReader reader;
    private final List<BrokerSpec> bindings;
    /** Checks a credential id against a binding and records CREDENTIAL_NOT_FOUND or a type mismatch. */
    private final CredentialCheck credentials;

    interface CredentialCheck {
        void check(String credentialId, BrokerSpec binding, Location at);
    }

    ErrorHandlingReader(Problems problems, FieldReader reader, List<BrokerSpec> bindings, CredentialCheck credentials) {
        this.problems = problems;
        this.reader = reader;
        this.bindings = bindings;
        this.credentials = credentials;
    }

    ErrorHandling read(SourceNode node, String owner) {
        if (!(node instanceof SourceMap map)) {
            problems.add(node.location(), "error_handling must be an object with retry, circuit_breaker or dead_letter, got "
                    + node.kindName());
            return ErrorHandling.NONE;
        }
        unknown(map, ErrorHandlingSpecs.PARTS, owner + " error_handling");
        ErrorHandling.Retry retry = part(map, "retry", ErrorHandlingSpecs.RETRY).map(v -> retry(v, map)).orElse(null);
        ErrorHandling.CircuitBreaker breaker = part(map, "circuit_breaker", ErrorHandlingSpecs.CIRCUIT_BREAKER).map(v -> new ErrorHandling.CircuitBreaker(
                (int) (long) (Long) v.get("failure_rate_threshold"), (int) (long) (Long) v.get("minimum_calls"),
                (int) (long) (Long) v.get("sliding_window"), (Duration) v.get("wait_in_open"),
                (int) (long) (Long) v.get("half_open_calls"), (Duration) v.get("timeout"), (String) v.get("fallback")))
                .orElse(null);
        ErrorHandling.DeadLetter deadLetter = part(map, "dead_letter", ErrorHandlingSpecs.DEAD_LETTER).map(v -> deadLetter(v, map)).orElse(null);
        if (breaker != null && breaker.minimumCalls() > breaker.slidingWindow()) {
            problems.add(map.get("circuit_breaker").orElseThrow().location(), "circuit_breaker minimum_calls ("
                    + breaker.minimumCalls() + ") cannot exceed sliding_window (" + breaker.slidingWindow() + ")");
        }
        return new ErrorHandling(retry, breaker, deadLetter);
    }

    private ErrorHandling.Retry retry(Map<String, Object> v, SourceMap block) {
        SourceMap retry = (SourceMap) block.get("retry").orElseThrow();
        double multiplier = (Double) v.get("multiplier");
        @SuppressWarnings("unchecked")
        List<String> retryOn = (List<String>) v.get("retry_on");
        Duration initial = (Duration) v.get("initial_delay");
        Duration max = (Duration) v.get("max_delay");
        if (initial != null && max != null && max.compareTo(initial) < 0) {
            problems.add(retry.get("max_delay").map(SourceNode::location).orElse(retry.location()),
                    "max_delay (" + Durations.format(max) + ") is shorter than initial_delay (" + Durations.format(initial) + ")");
        }
        return new ErrorHandling.Retry((int) (long) (Long) v.get("max_attempts"), initial, multiplier, max,
                (Boolean) v.get("jitter"), retryOn);
    }

    private ErrorHandling.DeadLetter deadLetter(Map<String, Object> v, SourceMap block) {
        SourceMap dl = (SourceMap) block.get("dead_letter").orElseThrow();
        boolean nativeDlq = (Boolean) v.get("native");
        if (nativeDlq) {
            for (String key : List.of("queue_type", "destination", "credential_id")) {
                dl.entry(key).ifPresent(e -> problems.add(e.keyLocation(),
                        "dead_letter with native: true uses the source broker's own DLQ; remove '" + key + "'"));
            }
            return new ErrorHandling.DeadLetter(true, null, null, null, NodeConfig.empty(dl.location()));
        }
        for (String key : List.of("queue_type", "destination", "credential_id")) {
            if (dl.get(key).isEmpty()) {
                problems.add(dl.location(), "dead_letter is missing required key '" + key
                        + "' (or write native: true for the broker's own DLQ)");
            }
        }
        String queueType = (String) v.get("queue_type");
        BrokerSpec binding = bindings.stream().filter(b -> b.queueType().equals(queueType)).findFirst().orElse(null);
        if (binding != null && v.get("credential_id") instanceof String credentialId) {
            credentials.check(credentialId, binding, dl.get("credential_id").orElseThrow().location());
        }
        Map<String, Location> locations = new LinkedHashMap<>();
        dl.entries().forEach(e -> locations.put(e.key(), e.value().location()));
        return new ErrorHandling.DeadLetter(false, queueType, (String) v.get("destination"), (String) v.get("credential_id"),
                new NodeConfig(v, locations, dl.location()));
    }

    /** The values of one part (defaults filled in), or empty when it is absent or not an object. */
    private Optional<Map<String, Object>> part(SourceMap block, String name, List<Field> fields) {
        Optional<SourceNode> node = block.get(name);
        if (node.isEmpty()) {
            return Optional.empty();
        }
        if (!(node.get() instanceof SourceMap map)) {
            problems.add(node.get().location(), name + " must be an object, got " + node.get().kindName());
            return Optional.empty();
        }
        unknown(map, fields.stream().map(Field::name).toList(), name);
        Map<String, Object> values = new LinkedHashMap<>();
        BiConsumer<Field, Object> put = (f, value) -> values.put(f.name(), value);
        for (Field f : fields) {
            Optional<SourceNode> written = map.get(f.name());
            if (written.isPresent()) {
                reader.read(f, written.get(), new ArrayList<>()).ifPresent(value -> put.accept(f, value));
            }
            if (!values.containsKey(f.name()) && f.defaultValue() != null) {
                values.put(f.name(), f.defaultValue());
            }
        }
        return Optional.of(values);
    }

    private void unknown(SourceMap map, List<String> valid, String owner) {
        for (SourceMap.Entry e : map.entries()) {
            if (!valid.contains(e.key())) {
                problems.add(e.keyLocation(), "unknown key '" + e.key() + "' in " + owner + "; valid keys: "
                        + String.join(", ", valid));
            }
        }
    }

    private static String describe(SourceNode node) {
        return node instanceof SourceScalar s && s.value() instanceof String text ? "\"" + text + "\"" : String.valueOf(node.toPlain());
    }
}
