package io.caravan.source;

/**
 * A workflow or credentials file after parsing: the name to print in diagnostics, a content
 * hash of its bytes (the workflow version) and its positioned tree.
 */
public record ParsedFile(String displayName, String version, SourceNode root) {
}
