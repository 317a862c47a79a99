package io.caravan.runtime;

import io.caravan.compile.CompiledWorkflow;
import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceList;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceParser;
import io.caravan.source.SourceScalar;
import io.caravan.workflow.Workflow;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Route ids are unique across the route files and the workflows (a workflow's route has the
 * workflow's id). Camel keeps one route per id and drops the other without a word: seen with the
 * Camel JBang REST example, whose route {@code hello} silently replaced the one of
 * {@code routes/hello.camel.yaml}. A clash is an error at start, at the id's line and column.
 */
final class RouteIds {

    private RouteIds() {
    }

    static void requireUnique(List<Path> routeFiles, List<CompiledWorkflow> workflows) {
        List<Diagnostic> clashes = clashes(routeFiles, workflows.stream().map(CompiledWorkflow::workflow).toList());
        if (!clashes.isEmpty()) {
            throw new InvalidFileException(clashes);
        }
    }

    /** Each route id of a route file that a workflow or an earlier route already has. */
    static List<Diagnostic> clashes(List<Path> routeFiles, List<Workflow> workflows) {
        Map<String, String> taken = new HashMap<>();
        workflows.forEach(w -> taken.put(w.id(), "workflow '" + w.id() + "'"
                + (w.sourceFile() == null ? "" : " (" + w.sourceFile() + ")")));
        List<Diagnostic> clashes = new ArrayList<>();
        for (Path file : routeFiles) {
            String name = file.toString();
            ParsedFile parsed;
            try {
                parsed = SourceParser.parse(file, name, true);
            } catch (InvalidFileException e) {
                continue; // not YAML Caravan can read: Camel's loader reports it with its own words
            }
            if (!(parsed.root() instanceof SourceList entries)) {
                continue;
            }
            for (SourceNode entry : entries.items()) {
                if (entry instanceof SourceMap map && map.get("route").orElse(null) instanceof SourceMap route
                        && route.get("id").orElse(null) instanceof SourceScalar id && id.value() != null) {
                    String routeId = id.value().toString();
                    String where = name + ":" + id.location().line();
                    String before = taken.putIfAbsent(routeId, "the route at " + where);
                    if (before != null) {
                        clashes.add(Diagnostic.at(name, id.location(), "route id '" + routeId + "' is already the id of "
                                + before + "; Camel would keep only one of them: give this route another id"));
                    }
                }
            }
        }
        return clashes;
    }
}
