package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.Diagnostic;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceParser;
import io.caravan.source.InvalidFileException;
import io.caravan.spec.BrokerSpec;
import io.caravan.credential.CredentialStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/** Loads workflow files: one file, or many files and directories checked together. */
public final class Workflows {

    /** Every workflow that validated, and every problem found in the others. */
    public record LoadResult(List<Workflow> workflows, List<Diagnostic> diagnostics) {

        public boolean ok() {
            return diagnostics.isEmpty();
        }
    }

    private Workflows() {
    }

    /** Parses and validates one file; {@code displayName} is how diagnostics name it. */
    public static Workflow load(Path file, String displayName, List<BrokerSpec> bindings, CredentialStore credentials) {
        return new WorkflowValidator(bindings, credentials).validate(SourceParser.parse(file, displayName));
    }

    /** As {@link #validateAll} but throws InvalidFileException when anything is wrong. */
    public static List<Workflow> loadAll(List<Path> paths, List<BrokerSpec> bindings, CredentialStore credentials) {
        LoadResult result = validateAll(paths, new WorkflowValidator(bindings, credentials));
        if (!result.ok()) {
            throw new InvalidFileException(result.diagnostics());
        }
        return result.workflows();
    }

    public static LoadResult validateAll(List<Path> paths, List<BrokerSpec> bindings, CredentialStore credentials) {
        return validateAll(paths, new WorkflowValidator(bindings, credentials));
    }

    /**
     * Validates files and directories. A file given by name is always read as a workflow; a
     * directory contributes its .json/.yaml/.yml files that look like workflows (not Camel
     * routes or kamelets), in name order. Workflow ids must be unique across all of them.
     */
    public static LoadResult validateAll(List<Path> paths, WorkflowValidator validator) {
        List<Workflow> workflows = new ArrayList<>();
        List<Diagnostic> diagnostics = new ArrayList<>();
        Map<String, Diagnostic> firstById = new HashMap<>();
        for (Path file : expand(paths, diagnostics)) {
            try {
                ParsedFile parsed = SourceParser.parse(file, file.toString());
                if (GoraxFormat.isGorax(parsed.root())) {
                    parsed = GoraxFormat.toCaravan(parsed, file.getFileName().toString());
                }
                Workflow wf = validator.validate(parsed);
                // a valid workflow's root is an object with an id
                Location idAt = ((SourceMap) parsed.root()).get("id").orElseThrow().location();
                Diagnostic here = Diagnostic.at(wf.sourceFile(), idAt, "duplicate workflow id '" + wf.id() + "'");
                Diagnostic first = firstById.putIfAbsent(wf.id(), here);
                if (first == null) {
                    workflows.add(wf);
                } else {
                    diagnostics.add(Diagnostic.at(wf.sourceFile(), idAt, here.message() + " (also in " + first.file()
                            + ":" + first.line() + ":" + first.column() + ")"));
                }
            } catch (InvalidFileException e) {
                diagnostics.addAll(e.diagnostics());
            }
        }
        return new LoadResult(List.copyOf(workflows), List.copyOf(diagnostics));
    }

    private static List<Path> expand(List<Path> paths, List<Diagnostic> diagnostics) {
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> list = Files.list(p)) {
                    list.filter(Files::isRegularFile).filter(Workflows::looksLikeWorkflow).sorted()
                            .forEach(files::add);
                } catch (IOException e) {
                    diagnostics.add(new Diagnostic(p.toString(), 1, 1, "cannot list directory: " + e.getMessage(), "$", null));
                }
            } else {
                files.add(p);
            }
        }
        return files;
    }

    /**
     * Whether a parsed file is meant as a workflow. A Camel route file is a list and a kamelet
     * or other resource has {@code kind}/{@code apiVersion}; a workflow is an object with neither.
     */
    public static boolean looksLikeWorkflow(SourceNode root) {
        return root instanceof SourceMap map && map.entry("kind").isEmpty() && map.entry("apiVersion").isEmpty();
    }

    /**
     * Whether a file name says it holds no workflow though it is YAML: a Camel route
     * ({@code *.camel.yaml}), a kamelet ({@code *.kamelet.yaml}) or a workflow's unit test
     * ({@code *.test.yaml}, read by {@code caravan test}).
     */
    public static boolean isOtherYaml(String fileName) {
        return fileName.toLowerCase(Locale.ROOT).matches(".*\\.(camel|kamelet|test)\\.ya?ml");
    }

    /**
     * Whether a file in a workflow directory should be read as a workflow: a .json/.yaml/.yml
     * file that is not a Camel route or kamelet by name, and whose content looks like a workflow.
     * A file that does not parse counts as a workflow so that its syntax error is reported.
     */
    public static boolean looksLikeWorkflow(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (SourceParser.Format.of(name).isEmpty() || isOtherYaml(name)) {
            return false;
        }
        try {
            return looksLikeWorkflow(SourceParser.parse(file, file.toString()).root());
        } catch (InvalidFileException e) {
            return true;
        }
    }

}
