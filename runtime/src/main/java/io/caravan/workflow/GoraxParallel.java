package io.caravan.workflow;

import io.caravan.source.Diagnostic;
import io.caravan.source.Location;
import io.caravan.source.SourceList;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceScalar;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Gorax's {@code control:parallel} (ParallelConfig) names its branches in its config, each a
 * list of node ids run one after another, and has no join node; Caravan's parallel runs the
 * branches its edges start, up to a join. So the node becomes a parallel with a join beside it
 * ({@code <id>-join}, with the config's {@code wait_mode} and {@code timeout}): each branch's
 * nodes are chained, the last one leads to the join, and what followed the parallel follows
 * the join.
 */
final class GoraxParallel {

    private GoraxParallel() {
    }

    static void expand(SourceMap definition, List<SourceNode> nodes, List<SourceNode> edges, String file,
                       List<Diagnostic> problems) {
        if (!(definition.get("nodes").orElse(null) instanceof SourceList written)) {
            return;
        }
        for (SourceNode item : written.items()) {
            if (!(item instanceof SourceMap node) || !"control:parallel".equals(text(node, "type")) || text(node, "id") == null) {
                continue;
            }
            String id = text(node, "id");
            SourceMap data = node.get("data").orElse(null) instanceof SourceMap d ? d : node;
            SourceMap config = data.get("config").orElse(null) instanceof SourceMap c ? c : new SourceMap(node.location(), List.of());
            List<List<String>> branches = branches(config);
            if (branches.isEmpty()) {
                problems.add(Diagnostic.at(file, config.location(), "control:parallel '" + id + "' lists no branches"
                        + " (config.branches: [{name, nodes: [node ids]}])"));
                continue;
            }
            refuseWhatCaravanDoesNotDo(config, branches.size(), file, problems);
            Location at = node.location();
            String join = id + "-join";
            List<SourceMap.Entry> joinConfig = new ArrayList<>();
            String wait = text(config, "wait_mode");
            if ("first".equals(wait)) {
                joinConfig.add(entry("wait", "any", at));
            }
            config.entry("timeout").ifPresent(joinConfig::add);
            nodes.add(new SourceMap(at, List.of(entry("id", join, at), entry("type", NodeType.JOIN.wireName(), at),
                    new SourceMap.Entry("config", at, new SourceMap(at, joinConfig)))));

            Set<String> onBranches = new HashSet<>();
            branches.forEach(onBranches::addAll);
            List<String> firsts = branches.stream().map(b -> b.get(0)).toList();
            List<SourceNode> rewritten = new ArrayList<>();
            for (SourceNode e : edges) {
                if (e instanceof SourceMap edge && id.equals(text(edge, "from"))) {
                    String to = text(edge, "to");
                    if (firsts.contains(to)) {
                        rewritten.add(edge);
                    } else if (!onBranches.contains(to)) {
                        // what came after the parallel comes after its join
                        rewritten.add(new SourceMap(edge.location(), edge.entries().stream()
                                .map(x -> x.key().equals("from") ? entry("from", join, x.keyLocation()) : x).toList()));
                    }
                } else {
                    rewritten.add(e);
                }
            }
            for (List<String> branch : branches) {
                addIfMissing(rewritten, id, branch.get(0), at);
                for (int i = 1; i < branch.size(); i++) {
                    addIfMissing(rewritten, branch.get(i - 1), branch.get(i), at);
                }
                addIfMissing(rewritten, branch.get(branch.size() - 1), join, at);
            }
            edges.clear();
            edges.addAll(rewritten);
        }
    }

    private static void refuseWhatCaravanDoesNotDo(SourceMap config, int branches, String file, List<Diagnostic> problems) {
        for (String key : List.of("failure_mode", "error_strategy")) {
            String mode = text(config, key);
            if ("continue".equals(mode) || "wait_all".equals(mode)) {
                problems.add(Diagnostic.at(file, config.get(key).orElseThrow().location(), key + " \"" + mode + "\": a"
                        + " failing branch fails Caravan's join; give the branch's nodes error edges (label: error) to go"
                        + " on after a failure"));
            }
        }
        if (config.get("max_concurrency").orElse(null) instanceof SourceScalar s && s.value() instanceof Long n
                && n > 0 && n < branches) {
            problems.add(Diagnostic.at(file, s.location(), "max_concurrency " + n + ": Caravan runs all " + branches
                    + " branches of a parallel at once"));
        }
    }

    private static List<List<String>> branches(SourceMap config) {
        List<List<String>> out = new ArrayList<>();
        if (config.get("branches").orElse(null) instanceof SourceList list) {
            for (SourceNode b : list.items()) {
                if (b instanceof SourceMap branch && branch.get("nodes").orElse(null) instanceof SourceList ids) {
                    List<String> names = ids.items().stream().filter(n -> n instanceof SourceScalar s && s.value() != null)
                            .map(n -> ((SourceScalar) n).value().toString()).toList();
                    if (!names.isEmpty()) {
                        out.add(names);
                    }
                }
            }
        }
        return out;
    }

    private static void addIfMissing(List<SourceNode> edges, String from, String to, Location at) {
        boolean present = edges.stream().anyMatch(e -> e instanceof SourceMap m && from.equals(text(m, "from"))
                && to.equals(text(m, "to")));
        if (!present) {
            edges.add(new SourceMap(at, List.of(entry("from", from, at), entry("to", to, at))));
        }
    }

    private static SourceMap.Entry entry(String key, String value, Location at) {
        return new SourceMap.Entry(key, at, new SourceScalar(at, value));
    }

    private static String text(SourceMap map, String key) {
        return map.get(key).orElse(null) instanceof SourceScalar s && s.value() != null ? s.value().toString() : null;
    }
}
