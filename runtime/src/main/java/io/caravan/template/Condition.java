package io.caravan.template;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The expression of a {@code condition} node, e.g.
 * {@code {{input.amount}} >= 100 && ({{input.country}} == "DE" || !{{input.vip}})}. Parsed once
 * when the workflow is compiled, into a small tree, and evaluated per message.
 *
 * <h2>Grammar</h2>
 * <pre>
 * or      := and ( '||' and )*
 * and     := compare ( '&amp;&amp;' compare )*
 * compare := unary ( ('==' | '!=' | '&lt;' | '&lt;=' | '&gt;' | '&gt;=') unary )?
 * unary   := '!' unary | primary
 * primary := '(' or ')' | {{reference}} | string | number | true | false | null
 * </pre>
 * So {@code !} binds tighter than comparisons ({@code !{{a}} == true} is {@code (!{{a}}) == true}),
 * comparisons tighter than {@code &&}, and {@code &&} tighter than {@code ||}. Comparisons do
 * not chain ({@code 1 < {{a}} < 3} is an error). Strings are in double or single quotes with the
 * backslash escapes of JSON: backslash followed by one of {@code " ' / b f n r t}, a backslash, or
 * {@code u} and 4 hex digits. A {@code {{...}}} inside
 * a string literal is literal text. Numbers are {@code -?digits(.digits)?(e[+-]digits)?}.
 *
 * <h2>Semantics</h2>
 * <ul>
 * <li>A reference is a value looked up with {@link Template#resolve}, never text spliced into the
 * expression: whatever a message holds, it cannot change the shape of the condition. A missing
 * value throws {@link MissingValueException}.</li>
 * <li>{@code &&} and {@code ||} short-circuit (the right side is not looked up when the left side
 * decides) and give a boolean. An operand used as a boolean is <em>truthy</em> when it is
 * {@code true}, a non-zero number, a non-empty string, collection or map, or any other non-null
 * value; {@code false}, 0, {@code ""}, empty collections and null are falsy. The string
 * {@code "false"} is truthy.</li>
 * <li>{@code ==} and {@code !=}: numbers compare by value whatever their Java type (Integer 200,
 * Long 200, Double 200.0 and BigDecimal 200.00 are equal). <b>A string that holds a number,
 * compared with a number, compares as that number</b>: {@code "200" == 200} is true (two strings
 * compare as text, so {@code "200" == "200.0"} is false). Lists and maps compare element by
 * element with these rules. Otherwise values are equal when {@link Object#equals} says so, and
 * {@code null == null}.</li>
 * <li>{@code < <= > >=} order two numbers (a numeric string against a number counts as a number,
 * as above) or two strings (lexicographically, by UTF-16 code unit, so {@code "10" < "9"}). Any
 * other pair, including null, throws {@link IllegalArgumentException} naming the operands and
 * their types (never their values, which may be personal data).</li>
 * </ul>
 */
public final class Condition {

    private static final Set<String> COMPARISONS = Set.of("==", "!=", "<", "<=", ">", ">=");
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    private final String text;
    private final Node root;
    private final List<Reference> references;

    private Condition(String text, Node root, List<Reference> references) {
        this.text = text;
        this.root = root;
        this.references = references;
    }

    /** Parses a condition; throws {@link TemplateException} with the 0-based offset of the problem. */
    public static Condition parse(String text) {
        return parse(text, false);
    }

    /**
     * Parses a condition that may also ask about the run itself: {@code ran(<node>)} (the node
     * finished), {@code failed(<node>)} (it failed and its error branch runs) and
     * {@code open(<parallel>)} (this run is a branch of that parallel whose join's outcome is not
     * known yet). Compiled routes use them to say when a node runs; a workflow's own conditions
     * do not.
     */
    public static Condition parseWithRunState(String text) {
        return parse(text, true);
    }

    private static Condition parse(String text, boolean runState) {
        Objects.requireNonNull(text, "text");
        List<Token> tokens = new Lexer(text, runState).tokens();
        Parser parser = new Parser(text, tokens);
        Node root = parser.parseCondition();
        List<Reference> refs = tokens.stream()
                .filter(t -> t.kind == Kind.REFERENCE)
                .map(t -> (Reference) t.value)
                .toList();
        return new Condition(text, root, refs);
    }

    /**
     * Evaluates against one run. Throws {@link MissingValueException} when a reference it needs
     * has no value and {@link IllegalArgumentException} when two values cannot be ordered.
     */
    public boolean evaluate(RunContext ctx) {
        return truthy(root.eval(ctx));
    }

    /** The references, in the order they are written. */
    public List<Reference> references() {
        return references;
    }

    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    // ---------------------------------------------------------------- values

    /** Whether a value counts as true: see the class comment. */
    public static boolean truthy(Object value) {
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        if (value instanceof Number n) {
            if (n instanceof Double || n instanceof Float) {
                double d = n.doubleValue();
                return d != 0 && !Double.isNaN(d);
            }
            BigDecimal bd = toBigDecimal(n);
            return bd == null || bd.signum() != 0;
        }
        if (value instanceof CharSequence s) {
            return s.length() > 0;
        }
        if (value instanceof Collection<?> c) {
            return !c.isEmpty();
        }
        if (value instanceof Map<?, ?> m) {
            return !m.isEmpty();
        }
        if (value.getClass().isArray()) {
            return java.lang.reflect.Array.getLength(value) > 0;
        }
        return true;
    }

    /** Equality as {@code ==} defines it: see the class comment. */
    static boolean valuesEqual(Object a, Object b) {
        if (a == null || b == null) {
            return a == b;
        }
        Number na = asNumber(a, b);
        Number nb = asNumber(b, a);
        if (na != null && nb != null) {
            return compareNumbers(na, nb) == 0;
        }
        if (a instanceof List<?> la && b instanceof List<?> lb) {
            if (la.size() != lb.size()) {
                return false;
            }
            Iterator<?> ia = la.iterator();
            Iterator<?> ib = lb.iterator();
            while (ia.hasNext()) {
                if (!valuesEqual(ia.next(), ib.next())) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof Map<?, ?> ma && b instanceof Map<?, ?> mb) {
            if (ma.size() != mb.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !valuesEqual(e.getValue(), mb.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /**
     * {@code value} as a number when it is one, or when it is a numeric string and {@code other}
     * is a number; else null.
     */
    private static Number asNumber(Object value, Object other) {
        if (value instanceof Number n) {
            return n;
        }
        if (value instanceof String s && other instanceof Number && NUMBER.matcher(s).matches()) {
            return new BigDecimal(s);
        }
        return null;
    }

    private static int compareNumbers(Number a, Number b) {
        BigDecimal x = toBigDecimal(a);
        BigDecimal y = toBigDecimal(b);
        if (x == null || y == null) {
            // NaN or an infinity: only doubles can hold these
            return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return x.compareTo(y);
    }

    /** The exact value of a number, or null for NaN and infinities. */
    private static BigDecimal toBigDecimal(Number n) {
        if (n instanceof BigDecimal bd) {
            return bd;
        }
        if (n instanceof BigInteger bi) {
            return new BigDecimal(bi);
        }
        if (n instanceof Double || n instanceof Float) {
            double d = n.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                return null;
            }
            // Float.toString keeps 0.1f as 0.1, as a JSON reader would have it
            return n instanceof Float ? new BigDecimal(n.toString()) : BigDecimal.valueOf(d);
        }
        if (n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            return BigDecimal.valueOf(n.longValue());
        }
        try {
            return new BigDecimal(n.toString());
        } catch (NumberFormatException e) {
            return BigDecimal.valueOf(n.doubleValue());
        }
    }

    private static String typeName(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String) {
            return "string";
        }
        if (value instanceof Number) {
            return "number";
        }
        if (value instanceof Boolean) {
            return "boolean";
        }
        if (value instanceof List<?> || value instanceof Collection<?> || value.getClass().isArray()) {
            return "array";
        }
        if (value instanceof Map<?, ?>) {
            return "object";
        }
        return value.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- tree

    private interface Node {
        Object eval(RunContext ctx);

        /** The node as written, for error messages. */
        String source();
    }

    private record Literal(Object value, String source) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            return value;
        }
    }

    private record Ref(Reference ref) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            return Template.resolve(ref, ctx);
        }

        @Override
        public String source() {
            return "{{" + ref.text() + "}}";
        }
    }

    /** {@code ran(<node>)}, {@code failed(<node>)} or {@code open(<parallel>)}. */
    private record RunState(String function, String node, String source) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            return switch (function) {
                case "ran" -> ctx.hasRun(node);
                case "failed" -> ctx.hasFailed(node);
                default -> ctx.isOpen(node);
            };
        }
    }

    private record Not(Node operand, String source) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            return !truthy(operand.eval(ctx));
        }
    }

    private record And(Node left, Node right, String source) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            return truthy(left.eval(ctx)) && truthy(right.eval(ctx));
        }
    }

    private record Or(Node left, Node right, String source) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            return truthy(left.eval(ctx)) || truthy(right.eval(ctx));
        }
    }

    private record Compare(String op, Node left, Node right, int offset, String source) implements Node {
        @Override
        public Object eval(RunContext ctx) {
            Object a = left.eval(ctx);
            Object b = right.eval(ctx);
            switch (op) {
                case "==":
                    return valuesEqual(a, b);
                case "!=":
                    return !valuesEqual(a, b);
                default:
                    int c = order(a, b);
                    switch (op) {
                        case "<":
                            return c < 0;
                        case "<=":
                            return c <= 0;
                        case ">":
                            return c > 0;
                        default:
                            return c >= 0;
                    }
            }
        }

        private int order(Object a, Object b) {
            Number na = asNumber(a, b);
            Number nb = asNumber(b, a);
            if (na != null && nb != null) {
                if (isNaN(na) || isNaN(nb)) {
                    throw cannotOrder(a, b, "NaN has no order");
                }
                return compareNumbers(na, nb);
            }
            if (a instanceof String sa && b instanceof String sb) {
                return sa.compareTo(sb);
            }
            throw cannotOrder(a, b, "'" + op + "' needs two numbers or two strings");
        }

        private static boolean isNaN(Number n) {
            return (n instanceof Double || n instanceof Float) && Double.isNaN(n.doubleValue());
        }

        private IllegalArgumentException cannotOrder(Object a, Object b, String why) {
            return new IllegalArgumentException("cannot evaluate " + left.source() + " " + op + " " + right.source()
                    + " at " + offset + ": " + why + ", got " + typeName(a) + " and " + typeName(b));
        }
    }

    // ---------------------------------------------------------------- lexer

    private enum Kind { REFERENCE, STRING, NUMBER, TRUE, FALSE, NULL, OP, LPAREN, RPAREN, RUN_STATE, END }

    /** One token: its kind, its value (a Reference, String, Number or operator), offset and text. */
    private record Token(Kind kind, Object value, int offset, String text) {
        boolean isOp(String op) {
            return kind == Kind.OP && value.equals(op);
        }

        boolean isOperand() {
            return kind == Kind.REFERENCE || kind == Kind.STRING || kind == Kind.NUMBER || kind == Kind.TRUE
                    || kind == Kind.FALSE || kind == Kind.NULL || kind == Kind.RUN_STATE;
        }

        String describe() {
            return kind == Kind.END ? "the end" : "'" + text + "'";
        }
    }

    private static final class Lexer {
        private final String s;
        private final boolean runState;
        private int i;
        private final List<Token> out = new ArrayList<>();

        Lexer(String s, boolean runState) {
            this.s = s;
            this.runState = runState;
        }

        List<Token> tokens() {
            while (true) {
                while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    out.add(new Token(Kind.END, null, s.length(), ""));
                    return out;
                }
                int start = i;
                char c = s.charAt(i);
                if (s.startsWith("{{", i)) {
                    int close = s.indexOf("}}", i + 2);
                    if (close < 0) {
                        throw error("'{{' at " + i + " is never closed with '}}'", i);
                    }
                    Reference ref = Template.parseReference(s.substring(i + 2, close), i);
                    i = close + 2;
                    add(Kind.REFERENCE, ref, start);
                } else if (c == '"' || c == '\'') {
                    add(Kind.STRING, readString(c), start);
                } else if (c == '-' || isDigit(c)) {
                    add(Kind.NUMBER, readNumber(), start);
                } else if (c == '(') {
                    i++;
                    add(Kind.LPAREN, "(", start);
                } else if (c == ')') {
                    i++;
                    add(Kind.RPAREN, ")", start);
                } else if (s.startsWith("==", i) || s.startsWith("!=", i) || s.startsWith("<=", i)
                        || s.startsWith(">=", i) || s.startsWith("&&", i) || s.startsWith("||", i)) {
                    i += 2;
                    add(Kind.OP, s.substring(start, i), start);
                } else if (c == '<' || c == '>' || c == '!') {
                    if (s.startsWith("<>", i)) {
                        throw error("unknown operator '<>' at " + i + "; did you mean '!='?", i);
                    }
                    i++;
                    add(Kind.OP, String.valueOf(c), start);
                } else if (c == '=') {
                    throw error("unknown operator '=' at " + i + "; did you mean '=='?", i);
                } else if (c == '&') {
                    throw error("unknown operator '&' at " + i + "; did you mean '&&'?", i);
                } else if (c == '|') {
                    throw error("unknown operator '|' at " + i + "; did you mean '||'?", i);
                } else if (Character.isLetter(c) || c == '_') {
                    readWord();
                } else {
                    throw error("unexpected '" + c + "' at " + i, i);
                }
            }
        }

        private void add(Kind kind, Object value, int start) {
            out.add(new Token(kind, value, start, s.substring(start, i)));
        }

        private void readWord() {
            int start = i;
            while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || "_-.[]".indexOf(s.charAt(i)) >= 0)) {
                i++;
            }
            String word = s.substring(start, i);
            if (runState && List.of("ran", "failed", "open").contains(word) && i < s.length() && s.charAt(i) == '(') {
                int close = s.indexOf(')', i);
                if (close < 0) {
                    throw error("'" + word + "(' at " + start + " is never closed with ')'", start);
                }
                String node = s.substring(i + 1, close).strip();
                i = close + 1;
                add(Kind.RUN_STATE, List.of(word, node), start);
                return;
            }
            switch (word) {
                case "true" -> add(Kind.TRUE, Boolean.TRUE, start);
                case "false" -> add(Kind.FALSE, Boolean.FALSE, start);
                case "null" -> add(Kind.NULL, null, start);
                default -> throw error("unexpected '" + word + "' at " + start + hint(word), start);
            }
        }

        private static String hint(String word) {
            String lower = word.toLowerCase(Locale.ROOT);
            return switch (lower) {
                case "and" -> "; did you mean '&&'?";
                case "or" -> "; did you mean '||'?";
                case "not" -> "; did you mean '!'?";
                case "true", "false", "null" -> "; did you mean '" + lower + "'?";
                default -> "; references are written {{" + word + "}} and strings in quotes";
            };
        }

        private String readString(char quote) {
            int start = i;
            i++;
            StringBuilder b = new StringBuilder();
            while (true) {
                if (i >= s.length()) {
                    throw error("string starting at " + start + " is never closed with " + quote, start);
                }
                char c = s.charAt(i);
                if (c == quote) {
                    i++;
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    i++;
                    continue;
                }
                if (i + 1 >= s.length()) {
                    throw error("string starting at " + start + " is never closed with " + quote, start);
                }
                char e = s.charAt(i + 1);
                switch (e) {
                    case '"', '\'', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> {
                        String hex = i + 6 <= s.length() ? s.substring(i + 2, i + 6) : "";
                        if (!hex.matches("[0-9a-fA-F]{4}")) {
                            throw error("'\\u' at " + i + " must be followed by 4 hex digits", i);
                        }
                        b.append((char) Integer.parseInt(hex, 16));
                        i += 4;
                    }
                    default -> throw error("unknown escape '\\" + e + "' at " + i, i);
                }
                i += 2;
            }
        }

        private Number readNumber() {
            int start = i;
            if (s.charAt(i) == '-') {
                i++;
                if (i >= s.length() || !isDigit(s.charAt(i))) {
                    throw error("'-' at " + start + " must start a number such as -5", start);
                }
            }
            digits();
            if (i < s.length() && s.charAt(i) == '.') {
                i++;
                if (i >= s.length() || !isDigit(s.charAt(i))) {
                    throw error("expected a digit after '.' at " + i, i);
                }
                digits();
            }
            if (i < s.length() && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
                int e = i;
                i++;
                if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                    i++;
                }
                if (i >= s.length() || !isDigit(s.charAt(i))) {
                    throw error("expected the exponent's digits at " + e, e);
                }
                digits();
            }
            if (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
                throw error("unexpected '" + s.charAt(i) + "' at " + i + " after the number "
                        + s.substring(start, i), i);
            }
            String n = s.substring(start, i);
            BigDecimal value = new BigDecimal(n);
            if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
                try {
                    return value.longValueExact();
                } catch (ArithmeticException tooLarge) {
                    return value;
                }
            }
            return value;
        }

        private void digits() {
            while (i < s.length() && isDigit(s.charAt(i))) {
                i++;
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    private static TemplateException error(String message, int offset) {
        return new TemplateException(message, offset);
    }

    // ---------------------------------------------------------------- parser

    private static final class Parser {
        private final String text;
        private final List<Token> tokens;
        private int pos;
        /** Offset just after the last token taken. */
        private int lastEnd;

        Parser(String text, List<Token> tokens) {
            this.text = text;
            this.tokens = tokens;
        }

        Node parseCondition() {
            if (peek().kind == Kind.END) {
                throw error("the condition is empty", 0);
            }
            Node node = or();
            Token t = peek();
            if (t.kind == Kind.RPAREN) {
                throw error("')' at " + t.offset + " has no matching '('", t.offset);
            }
            if (t.kind != Kind.END) {
                throw error("unexpected " + t.describe() + " at " + t.offset
                        + "; expected an operator (== != < <= > >= && ||) or the end", t.offset);
            }
            return node;
        }

        private Node or() {
            int start = peek().offset;
            Node left = and();
            while (peek().isOp("||")) {
                Token op = next();
                Node right = operand(op, this::and);
                left = new Or(left, right, since(start));
            }
            return left;
        }

        private Node and() {
            int start = peek().offset;
            Node left = compare();
            while (peek().isOp("&&")) {
                Token op = next();
                Node right = operand(op, this::compare);
                left = new And(left, right, since(start));
            }
            return left;
        }

        private Node compare() {
            int start = peek().offset;
            Node left = unary();
            Token op = peek();
            if (!isComparison(op)) {
                return left;
            }
            next();
            Node right = operand(op, this::unary);
            Token after = peek();
            if (isComparison(after)) {
                throw error("comparisons cannot be chained: '" + after.text + "' at " + after.offset
                        + " follows '" + op.text + "'; join them with && or use parentheses", after.offset);
            }
            return new Compare((String) op.value, left, right, op.offset, since(start));
        }

        private Node unary() {
            Token t = peek();
            if (t.isOp("!")) {
                next();
                Node operand = operand(t, this::unary);
                return new Not(operand, since(t.offset));
            }
            return primary();
        }

        private Node primary() {
            Token t = next();
            switch (t.kind) {
                case REFERENCE:
                    return new Ref((Reference) t.value);
                case RUN_STATE: {
                    List<?> call = (List<?>) t.value;
                    return new RunState((String) call.get(0), (String) call.get(1), t.text);
                }
                case STRING:
                case NUMBER:
                case TRUE:
                case FALSE:
                case NULL:
                    return new Literal(t.value, t.text);
                case LPAREN: {
                    Node inner = operand(t, this::or);
                    Token close = peek();
                    if (close.kind == Kind.END) {
                        throw error("'(' at " + t.offset + " is never closed with ')'", t.offset);
                    }
                    if (close.kind != Kind.RPAREN) {
                        throw error("expected ')' at " + close.offset + " to close '(' at " + t.offset
                                + ", found " + close.describe(), close.offset);
                    }
                    next();
                    return inner;
                }
                default:
                    throw error("expected an operand at " + t.offset + ", found " + t.describe(), t.offset);
            }
        }

        /** Parses what must follow {@code after}, or says that an operand is missing there. */
        private Node operand(Token after, Supplier<Node> rule) {
            Token t = peek();
            if (!t.isOperand() && t.kind != Kind.LPAREN && !t.isOp("!")) {
                throw error("expected an operand after '" + after.text + "' at " + t.offset
                        + (t.kind == Kind.END ? "" : ", found " + t.describe()), t.offset);
            }
            return rule.get();
        }

        private static boolean isComparison(Token t) {
            return t.kind == Kind.OP && COMPARISONS.contains((String) t.value);
        }

        /** The text from {@code start} to the end of the last token taken. */
        private String since(int start) {
            return text.substring(start, lastEnd);
        }

        private Token peek() {
            return tokens.get(pos);
        }

        private Token next() {
            Token t = tokens.get(pos);
            if (t.kind != Kind.END) {
                pos++;
                lastEnd = t.offset + t.text.length();
            }
            return t;
        }
    }
}
