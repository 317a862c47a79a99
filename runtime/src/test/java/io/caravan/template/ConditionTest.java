package io.caravan.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConditionTest {

    private static RunContext ctx(Object... kv) {
        Map<String, Object> input = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            input.put((String) kv[i], kv[i + 1]);
        }
        RunContext ctx = new RunContext("exec-1");
        ctx.startWith("webhook-1", Map.of("body", input), input);
        return ctx;
    }

    private static boolean eval(String condition, RunContext ctx) {
        return Condition.parse(condition).evaluate(ctx);
    }

    private static boolean eval(String condition) {
        return eval(condition, ctx());
    }

    private static TemplateException parseError(String condition) {
        try {
            Condition.parse(condition);
        } catch (TemplateException e) {
            return e;
        }
        throw new AssertionError("expected a parse error for: " + condition);
    }

    // ---------------------------------------------------------------- the examples

    @Test
    void statusExample() {
        RunContext ctx = ctx();
        ctx.putOutput("process-1", Map.of("status", 500));
        Condition c = Condition.parse("{{process-1.status}} != 200");

        assertThat(c.evaluate(ctx)).isTrue();
        ctx.putOutput("process-1", Map.of("status", 200L));
        assertThat(c.evaluate(ctx)).isFalse();
    }

    @Test
    void amountCountryVipExampleParsedOnceEvaluatedMany() {
        Condition c = Condition.parse("{{input.amount}} >= 100 && ({{input.country}} == \"DE\" || !{{input.vip}})");

        assertThat(c.text()).isEqualTo("{{input.amount}} >= 100 && ({{input.country}} == \"DE\" || !{{input.vip}})");
        assertThat(c.references()).extracting(Reference::text)
                .containsExactly("input.amount", "input.country", "input.vip");
        assertThat(c.references()).extracting(Reference::offset).containsExactly(0, 28, 58);

        assertThat(c.evaluate(ctx("amount", 150, "country", "DE", "vip", true))).isTrue();
        assertThat(c.evaluate(ctx("amount", 150, "country", "FR", "vip", false))).isTrue();
        assertThat(c.evaluate(ctx("amount", 150, "country", "FR", "vip", true))).isFalse();
        assertThat(c.evaluate(ctx("amount", 99.99, "country", "DE", "vip", false))).isFalse();
        assertThat(c.evaluate(ctx("amount", "100", "country", "DE", "vip", false))).isTrue();
    }

    // ---------------------------------------------------------------- operators

    @ParameterizedTest
    @CsvSource(delimiter = ';', quoteCharacter = '`', value = {
        "1 == 1 ; true", "1 == 2 ; false", "1 != 2 ; true", "1 != 1 ; false",
        "1 < 2 ; true", "2 < 2 ; false", "2 <= 2 ; true", "3 <= 2 ; false",
        "3 > 2 ; true", "2 > 2 ; false", "2 >= 2 ; true", "1 >= 2 ; false",
        "-5 < 3 ; true", "-1.5 < -1 ; true", "1e3 == 1000 ; true", "0.1 == 0.10 ; true",
        "'a' == \"a\" ; true", "'a' < 'b' ; true", "'b' < 'a' ; false", "'10' < '9' ; true", "'abc' >= 'abc' ; true",
        "true && true ; true", "true && false ; false", "false || true ; true", "false || false ; false",
        "!false ; true", "!true ; false", "!!true ; true",
        "null == null ; true", "null != null ; false", "null == 0 ; false", "null == '' ; false",
        "true == true ; true", "true == 'true' ; false", "true == 1 ; false",
        "'x' == 1 ; false", "'x' != 1 ; true",
    })
    void operatorsOnLiterals(String condition, boolean expected) {
        assertThat(eval(condition)).as(condition).isEqualTo(expected);
    }

    @Test
    void precedenceNotThenComparisonsThenAndThenOr() {
        // && binds tighter than ||: true || (false && false)
        assertThat(eval("true || false && false")).isTrue();
        assertThat(eval("(true || false) && false")).isFalse();
        // comparisons bind tighter than &&: (1 == 1) && (2 == 2)
        assertThat(eval("1 == 1 && 2 == 2")).isTrue();
        // ! binds tighter than comparisons: (!false) == true
        assertThat(eval("!false == true")).isTrue();
        // (!1) == 0 is false == 0, which is false (a boolean is not a number)
        assertThat(eval("!1 == 0")).isFalse();
        assertThat(eval("!(1 == 0)")).isTrue();
        // left to right among equals
        assertThat(eval("false && false || true")).isTrue();
        assertThat(eval("false || false || false || true")).isTrue();
        assertThat(eval("((((true))))")).isTrue();
        // a group is a boolean operand
        assertThat(eval("(1 < 2) == true")).isTrue();
    }

    @Test
    void andOrShortCircuitSoTheRightSideIsNotLookedUp() {
        RunContext ctx = ctx("a", 1);

        assertThat(eval("{{input.a}} == 2 && {{input.missing}} == 1", ctx)).isFalse();
        assertThat(eval("{{input.a}} == 1 || {{input.missing}} == 1", ctx)).isTrue();
        assertThatThrownBy(() -> eval("{{input.a}} == 1 && {{input.missing}} == 1", ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("input.missing");
    }

    // ---------------------------------------------------------------- truthiness

    @Test
    void bareOperandsAreTruthy() {
        RunContext ctx = ctx("t", true, "f", false, "one", 1, "zero", 0, "zeroD", 0.0, "s", "x", "empty", "",
                "falseText", "false", "list", List.of(1), "noList", List.of(), "map", Map.of("k", 1), "noMap", Map.of(),
                "nul", null, "big", new BigDecimal("0.000"));

        assertThat(eval("{{input.t}}", ctx)).isTrue();
        assertThat(eval("{{input.f}}", ctx)).isFalse();
        assertThat(eval("{{input.one}}", ctx)).isTrue();
        assertThat(eval("{{input.zero}}", ctx)).isFalse();
        assertThat(eval("{{input.zeroD}}", ctx)).isFalse();
        assertThat(eval("{{input.big}}", ctx)).isFalse();
        assertThat(eval("{{input.s}}", ctx)).isTrue();
        assertThat(eval("{{input.empty}}", ctx)).isFalse();
        assertThat(eval("{{input.falseText}}", ctx)).isTrue();
        assertThat(eval("{{input.list}}", ctx)).isTrue();
        assertThat(eval("{{input.noList}}", ctx)).isFalse();
        assertThat(eval("{{input.map}}", ctx)).isTrue();
        assertThat(eval("{{input.noMap}}", ctx)).isFalse();
        assertThat(eval("{{input.nul}}", ctx)).isFalse();
        assertThat(eval("!{{input.nul}}", ctx)).isTrue();
        assertThat(eval("{{input.s}} && {{input.one}}", ctx)).isTrue();
        assertThat(eval("{{input.s}} && {{input.empty}}", ctx)).isFalse();
        assertThat(eval("1 && 'x'")).isTrue();
        assertThat(eval("0 || ''")).isFalse();
        assertThat(eval("null")).isFalse();
        assertThat(eval("-0.0")).isFalse();
    }

    // ---------------------------------------------------------------- numeric coercion

    @Test
    void numbersCompareByValueWhateverTheirJavaType() {
        RunContext ctx = ctx("i", 200, "l", 200L, "d", 200.0, "f", 200.0f, "bd", new BigDecimal("200.00"),
                "bi", BigInteger.valueOf(200), "s", (short) 200, "tenth", 0.1, "big", 9007199254740993L);

        for (String a : List.of("i", "l", "d", "f", "bd", "bi", "s")) {
            for (String b : List.of("i", "l", "d", "f", "bd", "bi", "s")) {
                assertThat(eval("{{input." + a + "}} == {{input." + b + "}}", ctx)).as(a + " == " + b).isTrue();
                assertThat(eval("{{input." + a + "}} <= {{input." + b + "}}", ctx)).as(a + " <= " + b).isTrue();
            }
            assertThat(eval("{{input." + a + "}} == 200", ctx)).as(a).isTrue();
            assertThat(eval("{{input." + a + "}} == 200.0", ctx)).as(a).isTrue();
            assertThat(eval("{{input." + a + "}} < 200.5", ctx)).as(a).isTrue();
            assertThat(eval("{{input." + a + "}} > 199", ctx)).as(a).isTrue();
        }
        assertThat(eval("{{input.tenth}} == 0.1", ctx)).isTrue();
        // longs beyond a double's precision still compare exactly
        assertThat(eval("{{input.big}} == 9007199254740992", ctx)).isFalse();
        assertThat(eval("{{input.big}} > 9007199254740992", ctx)).isTrue();
        assertThat(eval("123456789012345678901234567890 > 123456789012345678901234567889")).isTrue();
    }

    @Test
    void aStringHoldingANumberComparesNumericallyWithANumber() {
        RunContext ctx = ctx("status", "200", "amount", "99.50", "word", "abc", "neg", "-3");

        assertThat(eval("{{input.status}} == 200", ctx)).isTrue();
        assertThat(eval("200 == {{input.status}}", ctx)).isTrue();
        assertThat(eval("{{input.status}} == 200.0", ctx)).isTrue();
        assertThat(eval("{{input.status}} != 200", ctx)).isFalse();
        assertThat(eval("{{input.amount}} < 100", ctx)).isTrue();
        assertThat(eval("{{input.amount}} == 99.5", ctx)).isTrue();
        assertThat(eval("{{input.neg}} < 0", ctx)).isTrue();
        // two strings compare as text
        assertThat(eval("{{input.status}} == '200'", ctx)).isTrue();
        assertThat(eval("{{input.status}} == '200.0'", ctx)).isFalse();
        // a string that is not a number is simply not equal to one
        assertThat(eval("{{input.word}} == 0", ctx)).isFalse();
        assertThat(eval("{{input.word}} != 0", ctx)).isTrue();
        assertThat(eval("' 200' == 200")).isFalse();
    }

    @Test
    void listsAndMapsCompareElementByElement() {
        List<Object> a = new ArrayList<>(List.of(1, "x"));
        List<Object> b = new ArrayList<>(List.of(1L, "x"));
        Map<String, Object> m1 = new HashMap<>(Map.of("n", 2, "l", a));
        Map<String, Object> m2 = new LinkedHashMap<>(Map.of("l", b, "n", 2.0));
        RunContext ctx = ctx("a", a, "b", b, "m1", m1, "m2", m2, "c", List.of(1, "y"));

        assertThat(eval("{{input.a}} == {{input.b}}", ctx)).isTrue();
        assertThat(eval("{{input.m1}} == {{input.m2}}", ctx)).isTrue();
        assertThat(eval("{{input.a}} != {{input.c}}", ctx)).isTrue();
        assertThat(eval("{{input.a}} == {{input.m1}}", ctx)).isFalse();
    }

    // ---------------------------------------------------------------- type errors

    @Test
    void orderingOtherThanNumbersOrStringsIsAnErrorNamingTheTypes() {
        RunContext ctx = ctx("word", "abc", "flag", true, "nul", null, "list", List.of(1), "secret", "hunter2");

        assertThatThrownBy(() -> eval("{{input.word}} < 100", ctx))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("{{input.word}} < 100")
                .hasMessageContaining("string and number")
                .hasMessageContaining("at 15");
        assertThatThrownBy(() -> eval("{{input.flag}} >= false", ctx))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("boolean and boolean");
        assertThatThrownBy(() -> eval("{{input.nul}} > 1", ctx))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("null and number");
        assertThatThrownBy(() -> eval("{{input.list}} <= 'a'", ctx))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("array and string");
        // values are not put into error messages
        assertThatThrownBy(() -> eval("{{input.secret}} < 5", ctx))
                .isInstanceOf(IllegalArgumentException.class)
                .message().doesNotContain("hunter2");
    }

    @Test
    void missingValuesThrowMissingValueException() {
        RunContext ctx = ctx("user", Map.of());

        assertThatThrownBy(() -> eval("{{input.user.id}} == 1", ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("input.user has no field 'id'");
        assertThatThrownBy(() -> eval("{{process-1.status}} == 200", ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("'process-1' has not run");
    }

    // ---------------------------------------------------------------- injection

    @Test
    void aValueCannotChangeTheShapeOfTheCondition() {
        RunContext ctx = ctx("x", "\") || true || (\"", "y", "' || true || '", "z", "1 == 1", "w", "true");

        assertThat(eval("{{input.x}} == \"admin\"", ctx)).isFalse();
        assertThat(eval("({{input.x}} == \"admin\")", ctx)).isFalse();
        assertThat(eval("{{input.y}} == 'admin'", ctx)).isFalse();
        assertThat(eval("{{input.z}} == true", ctx)).isFalse();
        assertThat(eval("{{input.w}} == true", ctx)).isFalse();
        assertThat(eval("{{input.x}} == \"\\\") || true || (\\\"\"", ctx)).isTrue();
    }

    @Test
    void aValueThatLooksLikeAReferenceIsNotResolvedAgain() {
        RunContext ctx = ctx("x", "{{input.y}}", "y", "secret");

        assertThat(eval("{{input.x}} == 'secret'", ctx)).isFalse();
        assertThat(eval("{{input.x}} == '{{input.y}}'", ctx)).isTrue();
        // a {{...}} inside a string literal is literal text, not a reference
        assertThat(Condition.parse("'{{input.y}}' == \"{{input.y}}\"").references()).isEmpty();
        assertThat(eval("'{{input.y}}' == 'secret'", ctx)).isFalse();
    }

    // ---------------------------------------------------------------- literals

    @Test
    void stringLiteralsTakeEscapes() {
        RunContext ctx = ctx("s", "it's \"q\" \\ \n\t/é");

        assertThat(eval("{{input.s}} == 'it\\'s \"q\" \\\\ \\n\\t\\/\\u00e9'", ctx)).isTrue();
        assertThat(eval("{{input.s}} == \"it's \\\"q\\\" \\\\ \\n\\t/é\"", ctx)).isTrue();
        assertThat(eval("'' == \"\"")).isTrue();
        assertThat(eval("'a&&b||c(' == \"a&&b||c(\"")).isTrue();
    }

    @Test
    void referencesMayHaveIndexesAndSpaces() {
        RunContext ctx = ctx("items", List.of(Map.of("sku", "A1"), Map.of("sku", "B2")));

        Condition c = Condition.parse("{{ input.items[1].sku }}=='B2'&&{{input.items[0].sku}}!='B2'");

        assertThat(c.evaluate(ctx)).isTrue();
        assertThat(c.references().get(0).path()).containsExactly("items", 1, "sku");
    }

    // ---------------------------------------------------------------- parse errors

    @Test
    void missingOperandAfterAnOperator() {
        TemplateException e = parseError("{{input.x}} &&");
        assertThat(e.offset()).isEqualTo(14);
        assertThat(e).hasMessage("expected an operand after '&&' at 14");

        e = parseError("{{input.x}} || )");
        assertThat(e.offset()).isEqualTo(15);
        assertThat(e).hasMessageContaining("expected an operand after '||' at 15, found ')'");

        e = parseError("1 == ");
        assertThat(e.offset()).isEqualTo(5);
        assertThat(e).hasMessageContaining("after '=='");

        e = parseError("!");
        assertThat(e.offset()).isEqualTo(1);

        e = parseError("&& true");
        assertThat(e.offset()).isZero();
        assertThat(e).hasMessageContaining("expected an operand at 0, found '&&'");
    }

    @Test
    void unknownOperatorsSuggestTheRightOne() {
        TemplateException e = parseError("{{input.x}} = 1");
        assertThat(e.offset()).isEqualTo(12);
        assertThat(e).hasMessage("unknown operator '=' at 12; did you mean '=='?");

        assertThat(parseError("true & false")).hasMessageContaining("did you mean '&&'?").extracting(TemplateException::offset).isEqualTo(5);
        assertThat(parseError("true | false")).hasMessageContaining("did you mean '||'?");
        assertThat(parseError("1 <> 2")).hasMessageContaining("did you mean '!='?");
        assertThat(parseError("true and false")).hasMessageContaining("did you mean '&&'?");
        assertThat(parseError("true or false")).hasMessageContaining("did you mean '||'?");
        assertThat(parseError("not true")).hasMessageContaining("did you mean '!'?");
        assertThat(parseError("True")).hasMessageContaining("did you mean 'true'?");
        assertThat(parseError("input.x == 1")).hasMessageContaining("{{input.x}}").extracting(TemplateException::offset).isEqualTo(0);
        assertThat(parseError("1 == 1 == 1")).hasMessageContaining("comparisons cannot be chained");
    }

    @Test
    void unbalancedParentheses() {
        TemplateException e = parseError("true && (false || true");
        assertThat(e.offset()).isEqualTo(8);
        assertThat(e).hasMessageContaining("'(' at 8 is never closed");

        e = parseError("(true");
        assertThat(e.offset()).isZero();

        e = parseError("(true false)");
        assertThat(e.offset()).isEqualTo(6);
        assertThat(e).hasMessageContaining("expected ')' at 6 to close '(' at 0");

        e = parseError("true)");
        assertThat(e.offset()).isEqualTo(4);
        assertThat(e).hasMessageContaining("')' at 4 has no matching '('");

        e = parseError("()");
        assertThat(e.offset()).isEqualTo(1);
    }

    @Test
    void trailingText() {
        TemplateException e = parseError("{{input.a}} == 1 {{input.b}}");
        assertThat(e.offset()).isEqualTo(17);
        assertThat(e).hasMessageContaining("unexpected '{{input.b}}' at 17");

        e = parseError("true 'x'");
        assertThat(e.offset()).isEqualTo(5);
    }

    @Test
    void chainedComparisonsAreRejected() {
        TemplateException e = parseError("1 < {{input.a}} < 3");
        assertThat(e.offset()).isEqualTo(16);
        assertThat(e).hasMessageContaining("cannot be chained");
    }

    @Test
    void badLiteralsAndReferences() {
        assertThat(parseError("").offset()).isZero();
        assertThat(parseError("   ")).hasMessageContaining("empty");
        assertThat(parseError("'abc").offset()).isZero();
        assertThat(parseError("1 == \"abc")).hasMessageContaining("string starting at 5 is never closed");
        assertThat(parseError("'a\\qb'")).hasMessageContaining("unknown escape '\\q' at 2");
        assertThat(parseError("'\\u12'").offset()).isEqualTo(1);
        assertThat(parseError("1 == 1.")).hasMessageContaining("expected a digit after '.'");
        assertThat(parseError("1 == - 1").offset()).isEqualTo(5);
        assertThat(parseError("1 == 12abc").offset()).isEqualTo(7);
        assertThat(parseError("1 == #").offset()).isEqualTo(5);
        // reference errors come from Template.parseReference, pointing into the condition
        TemplateException e = parseError("1 == {{input.x");
        assertThat(e.offset()).isEqualTo(5);
        assertThat(e).hasMessageContaining("never closed with '}}'");
        assertThat(parseError("true && {{}}").offset()).isEqualTo(8);
        assertThat(parseError("true && {{input.items[x]}}").offset()).isEqualTo(22);
    }

    @Test
    void compiledRoutesAskWhetherANodeRanOrFailed() {
        RunContext run = new RunContext("exec-2");
        run.putOutput("check", Map.of("result", true));
        run.fail("call", Map.of("code", "TIMEOUT"));
        assertThat(Condition.parseWithRunState("ran(check) && {{check.result}} == true").evaluate(run)).isTrue();
        assertThat(Condition.parseWithRunState("ran(other) && {{other.result}} == true").evaluate(run)).isFalse();
        assertThat(Condition.parseWithRunState("failed(call) || ran(nothing)").evaluate(run)).isTrue();
        assertThat(Condition.parseWithRunState("failed(check)").evaluate(run)).isFalse();
        // a branch of a parallel goes on while its join's outcome is open
        java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
        RunContext branch = run.child();
        branch.gate("fork", open::get);
        assertThat(Condition.parseWithRunState("open(fork)").evaluate(branch)).isTrue();
        open.set(false);
        assertThat(Condition.parseWithRunState("open(fork)").evaluate(branch)).isFalse();
        assertThat(Condition.parseWithRunState("open(fork)").evaluate(run)).as("not a branch of it").isFalse();
        // a workflow's own condition has no such words
        assertThatThrownBy(() -> Condition.parse("ran(check)")).isInstanceOf(TemplateException.class)
                .hasMessageContaining("unexpected 'ran'");
    }
}
