package io.caravan.source;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when one or more workflow files are invalid; carries every problem found. */
public class InvalidFileException extends RuntimeException {

    private final List<Diagnostic> diagnostics;

    public InvalidFileException(List<Diagnostic> diagnostics) {
        super(diagnostics.stream().map(Diagnostic::format).collect(Collectors.joining("\n")));
        this.diagnostics = List.copyOf(diagnostics);
    }

    public List<Diagnostic> diagnostics() {
        return diagnostics;
    }
}
