package io.caravan.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads a JSON or YAML file (a workflow, the credentials file) into a {@link SourceNode} tree that
 * keeps the line, column and JSON path of every key and value. Syntax errors and duplicate keys
 * become diagnostics; a parser is used once per file.
 */
public final class SourceParser {

    /** The two syntaxes a file may be written in, chosen by its extension. */
    public enum Format {
        JSON, YAML;

        public static Optional<Format> of(String fileName) {
            String name = fileName.toLowerCase(Locale.ROOT);
            if (name.endsWith(".json")) {
                return Optional.of(JSON);
            }
            if (name.endsWith(".yaml") || name.endsWith(".yml")) {
                return Optional.of(YAML);
            }
            return Optional.empty();
        }
    }

    private static final JsonFactory JSON_FACTORY = new JsonFactory();
    private static final YAMLFactory YAML_FACTORY = new YAMLFactory();
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");
    private static final Pattern JACKSON_SOURCE = Pattern.compile(
            "\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)]");

    private final String displayName;
    private final List<Diagnostic> problems = new ArrayList<>();
    /** Where reading was when a syntax error stopped it. */
    private String lastPath = "$";

    private final boolean allowEmpty;

    private SourceParser(String displayName, boolean allowEmpty) {
        this.displayName = displayName;
        this.allowEmpty = allowEmpty;
    }

    /** Reads {@code file}; {@code displayName} is how diagnostics name it. */
    public static ParsedFile parse(Path file, String displayName) {
        return parse(file, displayName, false);
    }

    /** As {@link #parse(Path, String)}; with {@code allowEmpty} an empty file reads as a null value. */
    public static ParsedFile parse(Path file, String displayName, boolean allowEmpty) {
        Format format = Format.of(file.getFileName().toString()).orElseThrow(() -> new InvalidFileException(List.of(
                new Diagnostic(displayName, 1, 1, "unknown file type; use .json, .yaml or .yml", "$", null))));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidFileException(List.of(new Diagnostic(displayName, 1, 1,
                    "cannot read file: " + e.getClass().getSimpleName() + " " + e.getMessage(), "$", null)));
        }
        return parse(bytes, format, displayName, allowEmpty);
    }

    public static ParsedFile parse(byte[] content, Format format, String displayName) {
        return parse(content, format, displayName, false);
    }

    public static ParsedFile parse(byte[] content, Format format, String displayName, boolean allowEmpty) {
        SourceParser parser = new SourceParser(displayName, allowEmpty);
        SourceNode root = parser.read(content, format);
        if (!parser.problems.isEmpty()) {
            throw new InvalidFileException(parser.problems);
        }
        return new ParsedFile(displayName, version(content), root);
    }

    /** SHA-256 of the bytes, first 12 hex digits: enough to tell versions of one file apart. */
    public static String version(byte[] content) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(content);
            return HexFormat.of().formatHex(hash).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The JSON path of {@code key} below {@code parent}; odd keys are bracketed so the path stays readable. */
    public static String childPath(String parent, String key) {
        return PLAIN_KEY.matcher(key).matches() ? parent + "." + key : parent + "['" + key.replace("'", "\\'") + "']";
    }

    private SourceNode read(byte[] content, Format format) {
        JsonFactory factory = format == Format.JSON ? JSON_FACTORY : YAML_FACTORY;
        try (JsonParser p = factory.createParser(content)) {
            if (p.nextToken() == null) {
                if (allowEmpty) {
                    return new SourceScalar(new Location(1, 1, "$"), null);
                }
                problems.add(new Diagnostic(displayName, 1, 1, "file is empty", "$", null));
                return new SourceScalar(new Location(1, 1, "$"), null);
            }
            SourceNode root = readValue(p, "$");
            if (p.nextToken() != null) {
                Location at = location(p, "$");
                problems.add(Diagnostic.at(displayName, at, "unexpected content after the end of the document;"
                        + " a file holds one document"));
            }
            return root;
        } catch (JsonProcessingException e) {
            problems.add(syntaxError(e));
            return new SourceScalar(new Location(1, 1, "$"), null);
        } catch (IOException e) {
            problems.add(new Diagnostic(displayName, 1, 1, "cannot read file: " + e.getMessage(), "$", null));
            return new SourceScalar(new Location(1, 1, "$"), null);
        }
    }

    private SourceNode readValue(JsonParser p, String path) throws IOException {
        lastPath = path;
        Location loc = location(p, path);
        JsonToken token = p.currentToken();
        if (p instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
            problems.add(Diagnostic.at(displayName, loc, "YAML aliases (*" + p.getText()
                    + ") are not supported; write the value out"));
        }
        switch (token) {
            case START_OBJECT:
                return readMap(p, path, loc);
            case START_ARRAY:
                List<SourceNode> items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(readValue(p, path + "[" + items.size() + "]"));
                }
                return new SourceList(loc, items);
            case VALUE_STRING:
                return new SourceScalar(loc, p.getText());
            case VALUE_NUMBER_INT:
                BigInteger big = p.getBigIntegerValue();
                return new SourceScalar(loc, big.bitLength() < 64 ? (Object) big.longValue() : big);
            case VALUE_NUMBER_FLOAT:
                return new SourceScalar(loc, p.getDoubleValue());
            case VALUE_TRUE:
                return new SourceScalar(loc, Boolean.TRUE);
            case VALUE_FALSE:
                return new SourceScalar(loc, Boolean.FALSE);
            case VALUE_NULL:
                return new SourceScalar(loc, null);
            default:
                problems.add(Diagnostic.at(displayName, loc, "unsupported value (" + token + ")"));
                return new SourceScalar(loc, null);
        }
    }

    private SourceMap readMap(JsonParser p, String path, Location loc) throws IOException {
        List<SourceMap.Entry> entries = new ArrayList<>();
        Map<String, Location> seen = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            String keyPath = childPath(path, key);
            lastPath = keyPath;
            Location keyLoc = location(p, keyPath);
            p.nextToken();
            SourceNode value = readValue(p, keyPath);
            Location first = seen.putIfAbsent(key, keyLoc);
            if (first != null) {
                problems.add(Diagnostic.at(displayName, keyLoc, "duplicate key '" + key + "' (first written at "
                        + first.line() + ":" + first.column() + ")"));
            } else {
                entries.add(new SourceMap.Entry(key, keyLoc, value));
            }
        }
        return new SourceMap(loc, entries);
    }

    private static Location location(JsonParser p, String path) {
        JsonLocation l = p.currentTokenLocation();
        return new Location(l.getLineNr(), l.getColumnNr(), path);
    }

    /** A syntax error as one short line at the parser's position, without Jackson's source dump. */
    private Diagnostic syntaxError(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
                Mark at = yaml.getProblemMark();
                String message = yaml.getProblem();
                if (yaml.getContext() != null && yaml.getContextMark() != null) {
                    Mark ctx = yaml.getContextMark();
                    message += " (" + yaml.getContext() + " at " + (ctx.getLine() + 1) + ":" + (ctx.getColumn() + 1) + ")";
                }
                return new Diagnostic(displayName, at.getLine() + 1, at.getColumn() + 1, "invalid YAML: " + message,
                        lastPath, null);
            }
        }
        String message = e.getOriginalMessage().lines().findFirst().orElse("syntax error")
                .replaceAll(" \\(code \\d+\\)", "");
        message = JACKSON_SOURCE.matcher(message).replaceAll("$1:$2");
        JsonLocation at = e.getLocation();
        int line = at == null ? 1 : Math.max(1, at.getLineNr());
        int column = at == null ? 1 : Math.max(1, at.getColumnNr());
        String kind = e.getProcessor() instanceof YAMLParser ? "invalid YAML: " : "invalid JSON: ";
        return new Diagnostic(displayName, line, column, kind + message, lastPath, null);
    }
}
