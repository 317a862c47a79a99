package io.caravan.workflow;

import io.caravan.source.Diagnostic;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceParser;
import io.caravan.source.InvalidFileException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs parse and validation on text, for tests that assert the exact diagnostics. */
final class Check {

    private Check() {
    }

    static Workflow yaml(String text) {
        return validate(text, SourceParser.Format.YAML, "wf.yaml");
    }

    static Workflow validate(String text, SourceParser.Format format, String name) {
        ParsedFile parsed = SourceParser.parse(text.getBytes(StandardCharsets.UTF_8), format, name);
        return new WorkflowValidator(TestBindings.ALL, TestBindings.CREDENTIALS).validate(parsed);
    }

    /** The formatted diagnostics for a YAML workflow; empty if it is valid. */
    static List<String> problems(String yaml) {
        return problems(yaml, SourceParser.Format.YAML, "wf.yaml");
    }

    static List<String> problems(String text, SourceParser.Format format, String name) {
        try {
            validate(text, format, name);
            return List.of();
        } catch (InvalidFileException e) {
            return e.diagnostics().stream().map(Diagnostic::format).toList();
        }
    }
}
