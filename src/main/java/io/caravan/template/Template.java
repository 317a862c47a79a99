package io.caravan.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A text with {@code {{...}}} references, parsed once when a workflow is compiled and rendered
 * per message. Rendering inserts values as data: nothing inserted is parsed again, by Caravan or
 * by Camel. When the text is JSON (it starts with '{' or '['), a value inserted inside a JSON
 * string is escaped, and one inserted outside a string is written as a JSON value, so the
 * result is valid JSON whatever the value holds.
 */
public final class Template {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String text;
    private final boolean json;
    /** Literal strings and references, in order. */
    private final List<Object> parts;

    private Template(String text, boolean json, List<Object> parts) {
        this.text = text;
        this.json = json;
        this.parts = parts;
    }

    public static Template parse(String text) {
        List<Object> parts = new ArrayList<>();
        String trimmed = text.stripLeading();
        boolean json = trimmed.startsWith("{") || trimmed.startsWith("[");
        int i = 0;
        StringBuilder literal = new StringBuilder();
        while (i < text.length()) {
            int open = text.indexOf("{{", i);
            if (open < 0) {
                literal.append(text, i, text.length());
                break;
            }
            int close = text.indexOf("}}", open + 2);
            if (close < 0) {
                throw new TemplateException("'{{' is never closed with '}}'", open);
            }
            literal.append(text, i, open);
            if (literal.length() > 0) {
                parts.add(literal.toString());
                literal.setLength(0);
            }
            parts.add(parseReference(text.substring(open + 2, close), open));
            i = close + 2;
        }
        if (literal.length() > 0) {
            parts.add(literal.toString());
        }
        return new Template(text, json, List.copyOf(parts));
    }

    /**
     * Parses the inside of {@code {{ }}}: a root name followed by {@code .key} and {@code [n]}
     * steps. Node ids may contain '-', so a key runs up to the next '.' or '['.
     */
    static Reference parseReference(String inner, int offset) {
        String ref = inner.strip();
        if (ref.isEmpty()) {
            throw new TemplateException("empty reference '{{}}'", offset);
        }
        List<String> tokens = new ArrayList<>();
        List<Object> path = new ArrayList<>();
        int i = 0;
        StringBuilder key = new StringBuilder();
        while (i < ref.length()) {
            char c = ref.charAt(i);
            if (c == '.') {
                flushKey(key, tokens, path, ref, offset);
                i++;
            } else if (c == '[') {
                flushKey(key, tokens, path, ref, offset, true);
                int end = ref.indexOf(']', i);
                if (end < 0) {
                    throw new TemplateException("'[' without ']' in {{" + ref + "}}", offset);
                }
                String index = ref.substring(i + 1, end).strip();
                try {
                    path.add(Integer.parseInt(index));
                } catch (NumberFormatException e) {
                    throw new TemplateException("array index '" + index + "' is not a number in {{" + ref + "}}", offset);
                }
                i = end + 1;
            } else if (Character.isWhitespace(c) || c == '{' || c == '}') {
                throw new TemplateException("unexpected '" + c + "' in {{" + ref + "}}", offset);
            } else {
                key.append(c);
                i++;
            }
        }
        flushKey(key, tokens, path, ref, offset);
        if (tokens.isEmpty()) {
            throw new TemplateException("reference {{" + ref + "}} has no name", offset);
        }
        String root = tokens.get(0);
        // the root is the first key; everything after it is the path
        List<Object> rest = path.subList(1, path.size());
        return new Reference(root, List.copyOf(rest), ref, offset);
    }

    private static void flushKey(StringBuilder key, List<String> tokens, List<Object> path, String ref, int offset) {
        flushKey(key, tokens, path, ref, offset, false);
    }

    private static void flushKey(StringBuilder key, List<String> tokens, List<Object> path, String ref, int offset,
                                 boolean beforeIndex) {
        if (key.length() == 0) {
            if (!beforeIndex || path.isEmpty()) {
                throw new TemplateException("empty name in {{" + ref + "}}", offset);
            }
            return;
        }
        tokens.add(key.toString());
        path.add(key.toString());
        key.setLength(0);
    }

    public String text() {
        return text;
    }

    public boolean isJson() {
        return json;
    }

    public List<Reference> references() {
        return parts.stream().filter(Reference.class::isInstance).map(Reference.class::cast).toList();
    }

    /** True if the template holds no reference, so it renders to its own text. */
    public boolean isConstant() {
        return parts.stream().noneMatch(Reference.class::isInstance);
    }

    /** Renders to text. Throws {@link MissingValueException} when a reference has no value. */
    public String render(RunContext ctx) {
        StringBuilder out = new StringBuilder(text.length() + 32);
        boolean inString = false;
        for (Object part : parts) {
            if (part instanceof String literal) {
                out.append(literal);
                if (json) {
                    inString = endsInsideString(literal, inString);
                }
            } else {
                Object value = resolve((Reference) part, ctx);
                if (!json) {
                    out.append(asText(value));
                } else if (inString) {
                    out.append(JsonStringEncoder.getInstance().quoteAsString(asText(value)));
                } else {
                    out.append(asJson(value));
                }
            }
        }
        return out.toString();
    }

    /**
     * Renders to a value: a template that is exactly one reference gives the referenced value
     * itself (a map stays a map); anything else gives the rendered text.
     */
    public Object renderValue(RunContext ctx) {
        if (parts.size() == 1 && parts.get(0) instanceof Reference ref) {
            return resolve(ref, ctx);
        }
        return render(ctx);
    }

    /** Looks a reference up in the run context. */
    public static Object resolve(Reference ref, RunContext ctx) {
        if (RunContext.NOW.equals(ref.root()) && ref.path().isEmpty()) {
            return Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
        }
        if (!ctx.hasRoot(ref.root())) {
            throw new MissingValueException(ref.text(), "'" + ref.root() + "' has not run in this execution");
        }
        Object value = ctx.root(ref.root());
        StringBuilder at = new StringBuilder(ref.root());
        for (Object step : ref.path()) {
            if (step instanceof Integer index) {
                if (!(value instanceof List<?> list)) {
                    throw new MissingValueException(ref.text(), at + " is not an array");
                }
                if (index < 0 || index >= list.size()) {
                    throw new MissingValueException(ref.text(), at + " has no index " + index
                            + " (it has " + list.size() + " items)");
                }
                value = list.get(index);
                at.append('[').append(index).append(']');
            } else {
                if (!(value instanceof Map<?, ?> map)) {
                    throw new MissingValueException(ref.text(), at + " is not an object");
                }
                if (!map.containsKey(step)) {
                    throw new MissingValueException(ref.text(), at + " has no field '" + step + "'");
                }
                value = map.get(step);
                at.append('.').append(step);
            }
        }
        return value;
    }

    /** Text of a value as inserted in plain text: strings as they are, the rest as JSON. */
    public static String asText(Object value) {
        if (value instanceof String s) {
            return s;
        }
        return asJson(value);
    }

    public static String asJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("value cannot be written as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Tracks whether JSON text, read from a known state, ends inside a string literal. */
    private static boolean endsInsideString(String literal, boolean inString) {
        boolean escaped = false;
        for (int i = 0; i < literal.length(); i++) {
            char c = literal.charAt(i);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            }
        }
        return inString;
    }

    @Override
    public String toString() {
        return text;
    }
}
