package io.caravan.workflow;

import io.caravan.Json;
import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import io.caravan.source.Location;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceList;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceScalar;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a workflow as Gorax stores it (stherrien/gorax, internal/workflow/model.go):
 * {@code {"nodes": [{"id", "type": "trigger:webhook" | "action:http" | "control:if" | ...,
 * "position", "data": {"name", "config"}}], "edges": [{"id", "source", "target", "label"}]}},
 * possibly inside {@code {"name", "description", "definition": {...}}}, and turns it into
 * Caravan's form, keeping every value's place in the file so that the validator's reports point
 * into the Gorax document. Positions are dropped; node types Caravan does not run are errors that
 * name them.
 *
 * <p>Gorax's expressions and templates read {@code steps.<node>.<field>}, {@code trigger.<field>}
 * and {@code env.<field>}; they become Caravan references ({@code {{<node>.<field>}}},
 * {@code {{trigger.<field>}}}), with an http node's {@code body} and {@code status_code} read as
 * Caravan's {@code response} and {@code status}. {@code env.*} has no Caravan counterpart.
 */
public final class GoraxFormat {

    /** Gorax node types Caravan runs, and what they become. */
    private static final Map<String, NodeType> MAPPED = Map.ofEntries(
            Map.entry("trigger:webhook", NodeType.WEBHOOK),
            Map.entry("trigger:schedule", NodeType.SCHEDULE),
            Map.entry("action:http", NodeType.HTTP),
            Map.entry("control:if", NodeType.CONDITION),
            Map.entry("control:delay", NodeType.DELAY),
            Map.entry("control:loop", NodeType.FOR_EACH),
            Map.entry("control:fork", NodeType.PARALLEL),
            Map.entry("control:parallel", NodeType.PARALLEL),
            Map.entry("control:join", NodeType.JOIN),
            Map.entry("action:subworkflow", NodeType.WORKFLOW),
            Map.entry("control:sub_workflow", NodeType.WORKFLOW));

    /** Gorax's error-handling nodes: Caravan writes the same things as error edges and error_handling. */
    private static final List<String> ERROR_NODES = List.of("control:try", "control:catch", "control:finally",
            "control:retry", "control:circuit_breaker");

    private static final Pattern TEMPLATE = Pattern.compile("\\{\\{\\s*([^{}]+?)\\s*}}|\\$\\{\\s*([^{}]+?)\\s*}");
    private static final Pattern STEP = Pattern.compile("\\.([A-Za-z0-9_\\-]+)(.*)");
    private static final Pattern PATH = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)((?:\\.[A-Za-z0-9_\\-]+|\\[\\d+])*)");

    private final ParsedFile file;
    private final String fileName;
    private final List<Diagnostic> problems = new ArrayList<>();
    private final Map<String, String> typesById = new HashMap<>();
    /** Each control:loop's body by Gorax's rule: what its first edge leads to, not passing its other edges' targets. */
    private final Map<String, java.util.Set<String>> loopBodies = new HashMap<>();
    /** Edges that enter a loop's body: the first edge leaving each control:loop. */
    private final java.util.Set<SourceMap> bodyEdges = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    /** The node whose config is being converted: its loop's variables are in scope. */
    private String currentNode;

    private GoraxFormat(ParsedFile file, String fileName) {
        this.file = file;
        this.fileName = fileName;
    }

    /** Whether the document is in Gorax's form: a definition, or nodes with data or prefixed types. */
    public static boolean isGorax(SourceNode root) {
        if (!(root instanceof SourceMap map)) {
            return false;
        }
        if (map.get("definition").orElse(null) instanceof SourceMap d && d.get("nodes").isPresent()) {
            return true;
        }
        if (map.get("nodes").orElse(null) instanceof SourceList nodes) {
            for (SourceNode n : nodes.items()) {
                if (n instanceof SourceMap node && (node.get("data").isPresent()
                        || node.get("type").orElse(null) instanceof SourceScalar t && String.valueOf(t.value()).contains(":"))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The document in Caravan's form; throws InvalidFileException with every node type and
     * reference it cannot carry over. {@code fileName} gives the workflow id when it has none.
     */
    public static ParsedFile toCaravan(ParsedFile file, String fileName) {
        GoraxFormat g = new GoraxFormat(file, fileName);
        SourceMap converted = g.workflow((SourceMap) file.root());
        if (!g.problems.isEmpty()) {
            throw new InvalidFileException(g.problems);
        }
        return new ParsedFile(file.displayName(), file.version(), converted);
    }

    private SourceMap workflow(SourceMap root) {
        SourceMap definition = root.get("definition").orElse(null) instanceof SourceMap d ? d : root;
        List<SourceMap.Entry> out = new ArrayList<>();
        Optional<SourceMap.Entry> id = root.entry("id");
        if (id.isPresent()) {
            out.add(id.get());
        } else {
            String stem = fileName.replaceAll("\\.(json|ya?ml)$", "");
            out.add(new SourceMap.Entry("id", root.location(), new SourceScalar(root.location(), stem)));
        }
        root.entry("name").ifPresent(out::add);
        root.entry("description").ifPresent(out::add);
        if (definition.get("nodes").orElse(null) instanceof SourceList nodes) {
            // a reference is read by its node's Gorax type (an http node's body is its response)
            for (SourceNode n : nodes.items()) {
                if (n instanceof SourceMap node && node.get("id").orElse(null) instanceof SourceScalar nid
                        && node.get("type").orElse(null) instanceof SourceScalar type) {
                    typesById.put(String.valueOf(nid.value()), String.valueOf(type.value()));
                    SourceMap data = node.get("data").orElse(null) instanceof SourceMap d ? d : node;
                    if (data.get("config").orElse(null) instanceof SourceMap c) {
                        configs.put(String.valueOf(nid.value()), c);
                    }
                }
            }
        }
        findLoopBodies(definition);
        Optional<SourceMap.Entry> nodes = definition.entry("nodes").map(e -> eachMap(e, this::node));
        Optional<SourceMap.Entry> edges = definition.entry("edges").map(e -> eachMap(e, this::edge));
        if (nodes.isPresent() && edges.isPresent() && nodes.get().value() instanceof SourceList n
                && edges.get().value() instanceof SourceList ed) {
            List<SourceNode> nodeList = new ArrayList<>(n.items());
            List<SourceNode> edgeList = new ArrayList<>(ed.items());
            GoraxParallel.expand(definition, nodeList, edgeList, file.displayName(), problems);
            nodes = Optional.of(new SourceMap.Entry("nodes", nodes.get().keyLocation(), new SourceList(n.location(), nodeList)));
            edges = Optional.of(new SourceMap.Entry("edges", edges.get().keyLocation(), new SourceList(ed.location(), edgeList)));
        }
        nodes.ifPresent(out::add);
        edges.ifPresent(out::add);
        return new SourceMap(root.location(), out);
    }

    /**
     * Gorax's loop body (its executor's findLoopBody): the first edge leaving a control:loop
     * enters the body, its other edges leave the loop, and the body is what the first edge leads
     * to without passing those exits. That first edge becomes Caravan's {@code label: each}.
     */
    private void findLoopBodies(SourceMap definition) {
        List<SourceMap> edges = new ArrayList<>();
        if (definition.get("edges").orElse(null) instanceof SourceList list) {
            list.items().forEach(e -> {
                if (e instanceof SourceMap m) {
                    edges.add(m);
                }
            });
        }
        Map<String, List<String>> next = new HashMap<>();
        for (SourceMap e : edges) {
            String from = text(e, "source");
            String to = text(e, "target");
            if (from != null && to != null) {
                next.computeIfAbsent(from, k -> new ArrayList<>()).add(to);
            }
        }
        typesById.forEach((id, type) -> {
            if (!type.equals("control:loop")) {
                return;
            }
            SourceMap first = edges.stream().filter(e -> id.equals(text(e, "source")) && text(e, "target") != null)
                    .findFirst().orElse(null);
            if (first == null) {
                return; // the validator says a for_each needs a body
            }
            bodyEdges.add(first);
            List<String> targets = next.getOrDefault(id, List.of());
            java.util.Set<String> exits = new java.util.HashSet<>(targets.subList(1, targets.size()));
            java.util.Set<String> body = new java.util.LinkedHashSet<>(List.of(text(first, "target")));
            java.util.Deque<String> queue = new java.util.ArrayDeque<>(body);
            while (!queue.isEmpty()) {
                for (String n : next.getOrDefault(queue.removeFirst(), List.of())) {
                    if (!exits.contains(n) && body.add(n)) {
                        queue.addLast(n);
                    }
                }
            }
            loopBodies.put(id, body);
        });
    }

    private static String text(SourceMap map, String key) {
        return map.get(key).orElse(null) instanceof SourceScalar s && s.value() != null ? s.value().toString() : null;
    }

    /** The innermost control:loop whose body holds {@code nodeId}, or null. */
    private String loopOf(String nodeId) {
        String best = null;
        for (Map.Entry<String, java.util.Set<String>> e : loopBodies.entrySet()) {
            if (nodeId != null && e.getValue().contains(nodeId)
                    && (best == null || e.getValue().size() < loopBodies.get(best).size())) {
                best = e.getKey();
            }
        }
        return best;
    }

    /** The entry with each map of its list converted; anything else is left for the validator to report. */
    private static SourceMap.Entry eachMap(SourceMap.Entry entry, java.util.function.Function<SourceMap, SourceNode> convert) {
        if (!(entry.value() instanceof SourceList list)) {
            return entry;
        }
        List<SourceNode> converted = new ArrayList<>();
        for (SourceNode item : list.items()) {
            converted.add(item instanceof SourceMap map ? convert.apply(map) : item);
        }
        return new SourceMap.Entry(entry.key(), entry.keyLocation(), new SourceList(list.location(), converted));
    }

    private SourceNode node(SourceMap node) {
        Optional<SourceMap.Entry> typeEntry = node.entry("type");
        if (typeEntry.isEmpty() || !(typeEntry.get().value() instanceof SourceScalar typeValue) || typeValue.value() == null) {
            return node; // the validator says what is missing
        }
        String goraxType = typeValue.value().toString();
        NodeType type = MAPPED.get(goraxType);
        if (type == null) {
            if (NodeType.fromWireName(goraxType).isPresent()) {
                return node; // already Caravan's
            }
            problems.add(Diagnostic.at(file.displayName(), typeValue.location(), "Gorax node type '" + goraxType + "' is not"
                    + (ERROR_NODES.contains(goraxType) ? " read from Gorax: write it with Caravan's error edges (label:"
                    + " error) and error_handling (retry, circuit_breaker)" : " supported by Caravan") + "; types Caravan"
                    + " runs: " + String.join(", ", MAPPED.keySet().stream().sorted().toList())));
            return node;
        }
        currentNode = node.get("id").orElse(null) instanceof SourceScalar nid ? String.valueOf(nid.value()) : null;
        List<SourceMap.Entry> out = new ArrayList<>();
        node.entry("id").ifPresent(out::add);
        out.add(new SourceMap.Entry("type", typeEntry.get().keyLocation(), new SourceScalar(typeValue.location(), type.wireName())));
        SourceMap data = node.get("data").orElse(null) instanceof SourceMap d ? d : null;
        if (data != null) {
            data.entry("name").ifPresent(out::add);
        }
        SourceMap config = data != null && data.get("config").orElse(null) instanceof SourceMap c ? c
                : node.get("config").orElse(null) instanceof SourceMap c2 ? c2 : null;
        if (config != null && !goraxType.equals("control:parallel")) {
            // a control:parallel's config is its branches and its join's: GoraxParallel reads it
            SourceMap.Entry where = data != null ? data.entry("config").orElse(null) : node.entry("config").orElse(null);
            out.add(new SourceMap.Entry("config", where == null ? config.location() : where.keyLocation(), config(type, config)));
        }
        node.entry("error_handling").ifPresent(out::add);
        return new SourceMap(node.location(), out);
    }

    private SourceMap config(NodeType type, SourceMap config) {
        List<SourceMap.Entry> out = new ArrayList<>();
        for (SourceMap.Entry e : config.entries()) {
            String key = e.key();
            SourceNode value = e.value();
            switch (type) {
                case WEBHOOK -> {
                    if (key.equals("path") || key.equals("response_url")) {
                        continue; // Caravan serves a workflow at /webhooks/<id> and answers the call itself
                    }
                    if (key.equals("auth_type")) {
                        String auth = value instanceof SourceScalar s ? String.valueOf(s.value()) : "";
                        if (!auth.isEmpty() && !auth.equals("none")) {
                            problems.add(Diagnostic.at(file.displayName(), value.location(), "Gorax auth_type '" + auth
                                    + "' keeps its secret in the workflow; in Caravan set auth (hmac, api_key or basic)"
                                    + " with credential_id naming a webhook_secret credential"));
                        }
                        continue;
                    }
                    out.add(e);
                }
                case SCHEDULE -> {
                    if (key.equals("cron") || key.equals("cron_expression")) {
                        out.add(new SourceMap.Entry("cron", e.keyLocation(), value instanceof SourceScalar s && s.value() != null
                                ? new SourceScalar(s.location(), quartzCron(s.value().toString(), s.location())) : value));
                    } else {
                        out.add(e);
                    }
                }
                case HTTP -> {
                    if (key.equals("timeout") && value instanceof SourceScalar s && s.value() instanceof Long seconds) {
                        out.add(new SourceMap.Entry(key, e.keyLocation(), new SourceScalar(s.location(), seconds + "s")));
                    } else if (key.equals("body") && (value instanceof SourceMap || value instanceof SourceList)) {
                        // Gorax sends a JSON body: Caravan's body is a template of text
                        out.add(new SourceMap.Entry(key, e.keyLocation(), new SourceScalar(value.location(),
                                template(Json.write(value.toPlain()), value.location()))));
                    } else {
                        out.add(new SourceMap.Entry(key, e.keyLocation(), templates(value)));
                    }
                }
                case CONDITION -> {
                    if (key.equals("description")) {
                        continue; // a note for people
                    }
                    if (key.equals("condition") && value instanceof SourceScalar s && s.value() instanceof String text) {
                        out.add(new SourceMap.Entry(key, e.keyLocation(), new SourceScalar(s.location(), expression(text, s.location()))));
                    } else {
                        out.add(e);
                    }
                }
                case FOR_EACH -> loopConfig(e, out);
                case PARALLEL -> {
                    // control:fork: branch_count is the number of its edges, which Caravan counts itself
                }
                case JOIN -> joinConfig(e, out);
                case WORKFLOW -> callConfig(e, out);
                default -> out.add(new SourceMap.Entry(key, e.keyLocation(), templates(value)));
            }
        }
        return new SourceMap(config.location(), out);
    }

    private void refuse(SourceNode value, String message) {
        problems.add(Diagnostic.at(file.displayName(), value.location(), message));
    }

    private static Object plain(SourceNode value) {
        return value instanceof SourceScalar s ? s.value() : value.toPlain();
    }

    /** control:loop (LoopActionConfig) as for_each. */
    private void loopConfig(SourceMap.Entry e, List<SourceMap.Entry> out) {
        SourceNode value = e.value();
        Object v = plain(value);
        switch (e.key()) {
            case "source" -> out.add(new SourceMap.Entry("items", e.keyLocation(), v instanceof String text
                    ? new SourceScalar(value.location(), text.contains("{{") || text.contains("${") ? template(text, value.location())
                    : "{{" + pathReference(text.strip(), value.location()) + "}}") : value));
            case "max_iterations" -> out.add(new SourceMap.Entry("max_items", e.keyLocation(), value));
            case "item_variable", "index_variable" -> {
                // their references became {{<loop>.item}} and {{<loop>.index}}
            }
            case "on_error" -> {
                if (!"stop".equals(v)) {
                    refuse(value, "on_error \"" + v + "\": a Caravan loop stops at an item that fails; to go on, give the"
                            + " failing body node an error edge (label: error)");
                }
            }
            case "key_variable" -> refuse(value, "key_variable: a Caravan loop goes over an array, not an object's keys");
            case "break_conditions" -> {
                if (!(value instanceof SourceList l && l.items().isEmpty())) {
                    refuse(value, "break_conditions: a Caravan loop goes over every item; filter the items first"
                            + " (a transform) or put a condition in the body");
                }
            }
            default -> out.add(e);
        }
    }

    /** control:join (JoinConfig) as join. */
    private void joinConfig(SourceMap.Entry e, List<SourceMap.Entry> out) {
        SourceNode value = e.value();
        Object v = plain(value);
        switch (e.key()) {
            case "join_strategy" -> {
                if ("wait_n".equals(v)) {
                    out.add(new SourceMap.Entry("wait", e.keyLocation(), new SourceScalar(value.location(), "any")));
                } else if (!"wait_all".equals(v)) {
                    refuse(value, "join_strategy \"" + v + "\": Caravan's join waits for all branches (wait_all) or for"
                            + " the first (wait_n with required_count 1)");
                }
            }
            case "required_count" -> {
                if (!(v instanceof Long n && n == 1)) {
                    refuse(value, "required_count " + v + ": Caravan's join waits for all branches or for the first one"
                            + " (required_count 1)");
                }
            }
            case "timeout_ms" -> {
                if (v instanceof Long ms && ms > 0) {
                    out.add(new SourceMap.Entry("timeout", e.keyLocation(), new SourceScalar(value.location(), ms + "ms")));
                }
            }
            case "on_timeout" -> {
                if (!"fail".equals(v)) {
                    refuse(value, "on_timeout \"" + v + "\": a Caravan join that times out fails (TIMEOUT); an error edge"
                            + " from the join can go on from there");
                }
            }
            default -> out.add(e);
        }
    }

    /** action:subworkflow and control:sub_workflow (SubWorkflowConfig) as workflow. */
    private void callConfig(SourceMap.Entry e, List<SourceMap.Entry> out) {
        SourceNode value = e.value();
        Object v = plain(value);
        switch (e.key()) {
            case "workflow_name" -> {
                // for people
            }
            case "wait_for_result" -> {
                if (Boolean.FALSE.equals(v)) {
                    out.add(new SourceMap.Entry("mode", e.keyLocation(), new SourceScalar(value.location(), "async")));
                }
            }
            case "input_mapping" -> {
                if (value instanceof SourceMap m && !m.entries().isEmpty()) {
                    StringBuilder input = new StringBuilder("{");
                    for (SourceMap.Entry field : m.entries()) {
                        if (input.length() > 1) {
                            input.append(", ");
                        }
                        String text = field.value() instanceof SourceScalar s && s.value() != null ? s.value().toString() : "";
                        String converted = text.contains("{{") || text.contains("${") ? template(text, field.value().location())
                                : "{{" + pathReference(text.strip(), field.value().location()) + "}}";
                        // a lone reference keeps its value's JSON type; text around one makes a string
                        boolean lone = converted.startsWith("{{") && converted.endsWith("}}") && converted.indexOf("{{", 2) < 0;
                        input.append(Json.write(field.key())).append(": ")
                                .append(lone ? converted : "\"" + converted.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
                    }
                    out.add(new SourceMap.Entry("input", e.keyLocation(), new SourceScalar(value.location(), input.append("}").toString())));
                }
            }
            case "output_mapping" -> {
                if (!(value instanceof SourceMap m && m.entries().isEmpty())) {
                    refuse(value, "output_mapping: a workflow node's output is the called workflow's; later nodes read"
                            + " {{<node>.<field>}} from it");
                }
            }
            case "inherit_context" -> {
                if (Boolean.TRUE.equals(v)) {
                    refuse(value, "inherit_context: a called Caravan workflow sees only the input it is given; pass what"
                            + " it needs in input_mapping");
                }
            }
            case "timeout", "timeout_ms" -> refuse(value, e.key() + ": a Caravan workflow node has no timeout of its own;"
                    + " give the called workflow's nodes theirs");
            default -> out.add(e);
        }
    }

    /** A bare Gorax path (trigger.body.items, steps.x.output.list, item.id) as a Caravan reference. */
    private String pathReference(String text, Location at) {
        Matcher path = PATH.matcher(text);
        if (path.matches()) {
            String converted = reference(path.group(1), path.group(2), at);
            if (converted != null) {
                return converted;
            }
        }
        return text;
    }

    private SourceNode templates(SourceNode value) {
        if (value instanceof SourceScalar s && s.value() instanceof String text) {
            return new SourceScalar(s.location(), template(text, s.location()));
        }
        if (value instanceof SourceMap m) {
            List<SourceMap.Entry> out = new ArrayList<>();
            m.entries().forEach(e -> out.add(new SourceMap.Entry(e.key(), e.keyLocation(), templates(e.value()))));
            return new SourceMap(m.location(), out);
        }
        return value;
    }

    /** {{steps.x.body.id}} and ${trigger.body.id} in text become Caravan references. */
    String template(String text, Location at) {
        Matcher m = TEMPLATE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String inner = m.group(1) != null ? m.group(1) : m.group(2);
            Matcher path = PATH.matcher(inner);
            String converted = path.matches() ? reference(path.group(1), path.group(2), at) : null;
            String replacement = converted != null ? "{{" + converted + "}}" : m.group();
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }

    /**
     * A Gorax condition as Caravan's: bare paths and {{...}}/${...} become references, === and
     * !== become == and !=; string literals are left as they are.
     */
    String expression(String text, Location at) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '"' || c == '\'') {
                int end = i + 1;
                while (end < text.length() && text.charAt(end) != c) {
                    end += text.charAt(end) == '\\' ? 2 : 1;
                }
                end = Math.min(end + 1, text.length());
                out.append(text, i, end);
                i = end;
            } else if (text.startsWith("===", i) || text.startsWith("!==", i)) {
                out.append(c).append('=');
                i += 3;
            } else if (text.startsWith("{{", i) || text.startsWith("${", i)) {
                int close = text.indexOf('}', i + 2);
                int end = close < 0 ? text.length() : (text.startsWith("{{", i) ? close + 2 : close + 1);
                String inner = text.substring(i + 2, close < 0 ? text.length() : close).strip();
                Matcher path = PATH.matcher(inner);
                String converted = path.matches() ? reference(path.group(1), path.group(2), at) : null;
                out.append(converted != null ? "{{" + converted + "}}" : text.substring(i, end));
                i = end;
            } else if (Character.isLetter(c) && (i == 0 || !Character.isLetterOrDigit(text.charAt(i - 1)))) {
                Matcher path = PATH.matcher(text);
                path.region(i, text.length());
                String converted = path.lookingAt() ? reference(path.group(1), path.group(2), at) : null;
                if (converted != null) {
                    out.append("{{").append(converted).append("}}");
                    i = path.end();
                } else {
                    int end = i;
                    while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                        end++;
                    }
                    String word = text.substring(i, end);
                    out.append(switch (word) {
                        case "and" -> "&&";
                        case "or" -> "||";
                        case "not" -> "!";
                        default -> word;
                    });
                    i = end;
                }
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /**
     * steps.<id>.<rest> → <id>.<rest> (an http node's body is its response), trigger.<rest> as
     * it is, a loop's item and index variables (and loop.item, loop.index) → <loop>.item and
     * <loop>.index in its body; null for any other root, which stays as it is written.
     */
    private String reference(String root, String rest, Location at) {
        String loop = loopOf(currentNode);
        if (loop != null) {
            Map<String, String> vars = loopVariables(loop);
            if (vars.containsKey(root)) {
                return vars.get(root) + rest;
            }
        }
        if (!List.of("steps", "trigger", "env").contains(root) || rest.isEmpty()) {
            return null;
        }
        if (root.equals("env")) {
            problems.add(Diagnostic.at(file.displayName(), at, "Gorax's env" + rest + " has no Caravan counterpart: put the"
                    + " value in the workflow or in the message"));
            return "env" + rest;
        }
        if (root.equals("trigger")) {
            return "trigger" + rest;
        }
        // steps.<id>[.output].<field>...
        Matcher m = STEP.matcher(rest);
        if (!m.matches()) {
            return "steps" + rest;
        }
        String id = m.group(1);
        String tail = m.group(2);
        if (tail.startsWith(".output")) {
            tail = tail.substring(".output".length());
        }
        if ("action:http".equals(typesById.get(id))) {
            if (tail.startsWith(".body")) {
                tail = ".response" + tail.substring(".body".length());
            } else if (tail.startsWith(".status_code")) {
                tail = ".status" + tail.substring(".status_code".length());
            }
        }
        return id + tail;
    }

    /** A loop's variable names and what they stand for in its body. */
    private Map<String, String> loopVariables(String loop) {
        Map<String, String> vars = new HashMap<>();
        vars.put("loop", loop);
        SourceMap config = configOf(loop);
        String item = config == null ? null : text(config, "item_variable");
        String index = config == null ? null : text(config, "index_variable");
        vars.put(item == null || item.isBlank() ? "item" : item, loop + ".item");
        vars.put(index == null || index.isBlank() ? "index" : index, loop + ".index");
        return vars;
    }

    private final Map<String, SourceMap> configs = new HashMap<>();

    private SourceMap configOf(String nodeId) {
        return configs.get(nodeId);
    }

    /** robfig/cron (5 or 6 fields, descriptors, Sunday 0) as Quartz (6 fields, ? in day-of-month or -week, Sunday 1). */
    private String quartzCron(String cron, Location at) {
        String text = cron.strip();
        switch (text.toLowerCase(Locale.ROOT)) {
            case "@yearly", "@annually" -> {
                return "0 0 0 1 1 ?";
            }
            case "@monthly" -> {
                return "0 0 0 1 * ?";
            }
            case "@weekly" -> {
                return "0 0 0 ? * SUN";
            }
            case "@daily", "@midnight" -> {
                return "0 0 0 * * ?";
            }
            case "@hourly" -> {
                return "0 0 * * * ?";
            }
            default -> {
            }
        }
        if (text.startsWith("@")) {
            problems.add(Diagnostic.at(file.displayName(), at, "cron \"" + cron + "\": Caravan takes @yearly, @monthly,"
                    + " @weekly, @daily, @hourly or fields, not this descriptor (for a fixed pace use interval)"));
            return text;
        }
        String[] f = text.split("\\s+");
        if (f.length == 5) {
            f = new String[] {"0", f[0], f[1], f[2], f[3], f[4]};
        }
        if (f.length != 6) {
            return text; // the validator explains Quartz's form
        }
        String dom = f[3];
        String dow = f[5];
        if (dow.equals("*") || dow.equals("?")) {
            f[5] = "?";
        } else if (dom.equals("*") || dom.equals("?")) {
            f[3] = "?";
        } else {
            problems.add(Diagnostic.at(file.displayName(), at, "cron \"" + cron + "\" sets both day of month and day of"
                    + " week; Quartz takes only one of them"));
        }
        if (!f[5].equals("?")) {
            // Sunday is 0 (or 7) in Gorax's cron, 1 in Quartz's
            Matcher n = Pattern.compile("\\d+").matcher(f[5]);
            StringBuilder dowOut = new StringBuilder();
            while (n.find()) {
                n.appendReplacement(dowOut, String.valueOf(Integer.parseInt(n.group()) % 7 + 1));
            }
            n.appendTail(dowOut);
            f[5] = dowOut.toString();
        }
        return String.join(" ", f);
    }

    private SourceMap edge(SourceMap edge) {
        if (edge.get("source").isEmpty() && edge.get("target").isEmpty()) {
            return edge; // Caravan's from/to
        }
        List<SourceMap.Entry> out = new ArrayList<>();
        edge.entry("source").ifPresent(e -> out.add(new SourceMap.Entry("from", e.keyLocation(), e.value())));
        edge.entry("target").ifPresent(e -> out.add(new SourceMap.Entry("to", e.keyLocation(), e.value())));
        if (bodyEdges.contains(edge)) {
            // the first edge leaving a control:loop enters its body
            out.add(new SourceMap.Entry("label", edge.location(), new SourceScalar(edge.location(), Edge.EACH)));
        } else {
            // Gorax labels only a condition's branches; an empty label is no label
            edge.entry("label").filter(e -> !(e.value() instanceof SourceScalar s && (s.value() == null
                    || s.value().toString().isBlank()))).ifPresent(out::add);
        }
        // id, sourceHandle and targetHandle are the editor's
        return new SourceMap(edge.location(), out);
    }
}
