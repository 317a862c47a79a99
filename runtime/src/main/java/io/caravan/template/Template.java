package io.caravan.template;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.caravan.Json;
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

    private final String text;
    private final boolean json;
    /** Literal strings and references, in order. */
    private final List<Object> parts;

    private Template(String text, boolean json, List<Object> parts) {
        this.text = text;
        this.json = json;
        this.parts = parts;
    }

    /**
     * Parses a template. The text is JSON when it starts (after white space) with '[' or with a
     * single '{'; a text that starts with a reference ({@code {{input.name}} ordered}) is plain.
     */
    public static Template parse(String text) {
        List<Object> parts = new ArrayList<>();
        String trimmed = text.stripLeading();
        boolean json = trimmed.startsWith("[") || (trimmed.startsWith("{") && !trimmed.startsWith("{{"));
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
                throw new TemplateException("'{{' at " + open + " is never closed with '}}'", open);
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
     * steps, e.g. {@code action-1.response.items[0].sku}. Node ids and keys may contain '-', so
     * a name runs up to the next '.' or '['. {@code offset} is the offset of the opening braces
     * in the whole text; errors point at the offending character.
     */
    static Reference parseReference(String inner, int offset) {
        String ref = inner.strip();
        if (ref.isEmpty()) {
            throw new TemplateException("empty reference '{{}}' at " + offset, offset);
        }
        // offset of ref's first character in the whole text
        int base = offset + 2 + (inner.length() - inner.stripLeading().length());
        List<Object> path = new ArrayList<>();
        int i = 0;
        while (true) {
            int start = i;
            while (i < ref.length() && isNameChar(ref.charAt(i))) {
                i++;
            }
            if (i == start) {
                if (i == ref.length()) {
                    throw new TemplateException("expected a name after '.' at " + (base + i) + " in {{" + ref + "}}",
                            base + i);
                }
                throw new TemplateException("expected a name at " + (base + i) + " in {{" + ref + "}}, found '"
                        + ref.charAt(i) + "'", base + i);
            }
            path.add(ref.substring(start, i));
            while (i < ref.length() && ref.charAt(i) == '[') {
                int end = ref.indexOf(']', i);
                if (end < 0) {
                    throw new TemplateException("'[' at " + (base + i) + " is never closed with ']' in {{" + ref + "}}",
                            base + i);
                }
                String index = ref.substring(i + 1, end).strip();
                if (!index.matches("[0-9]+")) {
                    throw new TemplateException("array index '" + index + "' at " + (base + i + 1)
                            + " is not a whole number in {{" + ref + "}}", base + i + 1);
                }
                try {
                    path.add(Integer.parseInt(index));
                } catch (NumberFormatException e) {
                    throw new TemplateException("array index '" + index + "' at " + (base + i + 1)
                            + " is too large in {{" + ref + "}}", base + i + 1);
                }
                i = end + 1;
            }
            if (i == ref.length()) {
                break;
            }
            if (ref.charAt(i) != '.') {
                throw new TemplateException("unexpected '" + ref.charAt(i) + "' at " + (base + i) + " in {{" + ref + "}}",
                        base + i);
            }
            i++;
        }
        String root = (String) path.get(0);
        return new Reference(root, List.copyOf(path.subList(1, path.size())), ref, offset);
    }

    private static boolean isNameChar(char c) {
        return c != '.' && c != '[' && c != ']' && c != '{' && c != '}' && !Character.isWhitespace(c);
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
            return ctx.now().truncatedTo(ChronoUnit.MILLIS).toString();
        }
        if (!ctx.hasRoot(ref.root())) {
            String why = RunContext.INPUT.equals(ref.root()) || RunContext.TRIGGER.equals(ref.root())
                    ? "this run has no trigger data"
                    : "'" + ref.root() + "' has not run in this execution";
            throw new MissingValueException(ref.text(), why);
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
        return Json.write(value);
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
