package io.caravan.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static RunContext ctx(Map<String, Object> input) {
        RunContext ctx = new RunContext("exec-1");
        ctx.startWith("webhook-1", Map.of("body", input, "headers", Map.of("x-id", "h-7")), input);
        return ctx;
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static JsonNode parseJson(String text) throws Exception {
        return JSON.readTree(text);
    }

    // ---------------------------------------------------------------- plain text

    @Test
    void plainTextInsertsStringsAsTheyAreAndOtherValuesAsJson() {
        RunContext ctx = ctx(map("name", "Ada \"Countess\" Lovelace", "n", 3, "tags", List.of("a", "b")));

        Template t = Template.parse("{{input.name}} ordered {{input.n}} items: {{input.tags}}");

        assertThat(t.isJson()).isFalse();
        assertThat(t.render(ctx)).isEqualTo("Ada \"Countess\" Lovelace ordered 3 items: [\"a\",\"b\"]");
    }

    @Test
    void aTemplateWithoutReferencesIsConstant() {
        Template t = Template.parse("hello {world} }} {");

        assertThat(t.isConstant()).isTrue();
        assertThat(t.references()).isEmpty();
        assertThat(t.render(new RunContext())).isEqualTo("hello {world} }} {");
        assertThat(t.text()).isEqualTo("hello {world} }} {");
    }

    @Test
    void aPlainTemplateThatStartsWithAReferenceIsNotJson() {
        Template t = Template.parse("{{input.name}}, welcome");

        assertThat(t.isJson()).isFalse();
        assertThat(t.render(ctx(map("name", "Bob")))).isEqualTo("Bob, welcome");
    }

    @Test
    void insertedValuesAreNotParsedAgain() {
        RunContext ctx = ctx(map("x", "{{input.y}} ${env:HOME} {{now}}", "y", "secret"));

        assertThat(Template.parse("value: {{input.x}}").render(ctx)).isEqualTo("value: {{input.y}} ${env:HOME} {{now}}");
    }

    @Test
    void whitespaceInsideTheBracesIsAllowed() {
        Template t = Template.parse("{{ input.name }}!");

        assertThat(t.references()).singleElement().satisfies(r -> {
            assertThat(r.root()).isEqualTo("input");
            assertThat(r.path()).containsExactly("name");
            assertThat(r.text()).isEqualTo("input.name");
            assertThat(r.offset()).isZero();
        });
        assertThat(t.render(ctx(map("name", "Bob")))).isEqualTo("Bob!");
    }

    // ---------------------------------------------------------------- JSON mode

    @Test
    void jsonModeEscapesValuesInsideStrings() throws Exception {
        String nasty = "quote \" backslash \\ newline \n tab \t cr \r unicode é 日本 😀 ctrl \u0001 </script><script>alert(1)</script>";
        RunContext ctx = ctx(map("v", nasty));

        Template t = Template.parse("{\"text\": \"{{input.v}}\", \"prefixed\": \"<< {{input.v}} >>\"}");
        String out = t.render(ctx);

        assertThat(t.isJson()).isTrue();
        JsonNode node = parseJson(out);
        assertThat(node.get("text").asText()).isEqualTo(nasty);
        assertThat(node.get("prefixed").asText()).isEqualTo("<< " + nasty + " >>");
        assertThat(node.size()).isEqualTo(2);
    }

    @Test
    void jsonModeValueThatTriesToCloseTheStringStaysData() throws Exception {
        String attack = "\", \"admin\": true, \"x\": \"";
        RunContext ctx = ctx(map("v", attack));

        String out = Template.parse("{\"name\": \"{{input.v}}\"}").render(ctx);

        JsonNode node = parseJson(out);
        assertThat(node.get("name").asText()).isEqualTo(attack);
        assertThat(node.has("admin")).isFalse();
    }

    @Test
    void jsonModeValueHoldingAReferenceComesOutLiterally() throws Exception {
        RunContext ctx = ctx(map("x", "{{input.y}}", "y", "secret"));

        String out = Template.parse("{\"a\": \"{{input.x}}\", \"b\": {{input.x}}}").render(ctx);

        JsonNode node = parseJson(out);
        assertThat(node.get("a").asText()).isEqualTo("{{input.y}}");
        assertThat(node.get("b").asText()).isEqualTo("{{input.y}}");
        assertThat(out).doesNotContain("secret");
    }

    @Test
    void jsonModeValuesOutsideStringsAreJsonValues() throws Exception {
        Map<String, Object> payload = map("id", 7, "lines", List.of(map("sku", "A\"1", "qty", 2)), "note", null);
        RunContext ctx = ctx(map("payload", payload, "name", "Bo\"b", "n", 12.5, "ok", true, "none", null));

        String out = Template.parse("""
                {"payload": {{input.payload}}, "name": {{input.name}}, "n": {{input.n}},
                 "ok": {{input.ok}}, "none": {{input.none}}, "list": [{{input.n}}, {{input.name}}]}""").render(ctx);

        JsonNode node = parseJson(out);
        assertThat(node.get("payload").isObject()).isTrue();
        assertThat(node.get("payload").get("id").asInt()).isEqualTo(7);
        assertThat(node.get("payload").get("lines").get(0).get("sku").asText()).isEqualTo("A\"1");
        assertThat(node.get("payload").get("note").isNull()).isTrue();
        assertThat(node.get("name").isTextual()).isTrue();
        assertThat(node.get("name").asText()).isEqualTo("Bo\"b");
        assertThat(node.get("n").asDouble()).isEqualTo(12.5);
        assertThat(node.get("ok").asBoolean()).isTrue();
        assertThat(node.get("none").isNull()).isTrue();
        assertThat(node.get("list").get(1).asText()).isEqualTo("Bo\"b");
    }

    @Test
    void jsonModeMapInsideAStringIsEscapedJsonText() throws Exception {
        RunContext ctx = ctx(map("payload", map("a", "x\"y")));

        String out = Template.parse("{\"raw\": \"{{input.payload}}\"}").render(ctx);

        JsonNode node = parseJson(out);
        assertThat(node.get("raw").asText()).isEqualTo("{\"a\":\"x\\\"y\"}");
    }

    @Test
    void jsonArrayTemplateAndEscapedQuotesInLiteralsKeepTrackOfStrings() throws Exception {
        RunContext ctx = ctx(map("v", "a\"b"));

        // the literal holds an escaped quote before the reference, so the reference is still inside a string
        Template t = Template.parse("[\"say \\\"{{input.v}}\\\"\", {{input.v}}]");
        String out = t.render(ctx);

        assertThat(t.isJson()).isTrue();
        JsonNode node = parseJson(out);
        assertThat(node.get(0).asText()).isEqualTo("say \"a\"b\"");
        assertThat(node.get(1).asText()).isEqualTo("a\"b");
    }

    // ---------------------------------------------------------------- paths

    @Test
    void arrayIndexesAndNestedPaths() throws Exception {
        RunContext ctx = ctx(map("items", List.of(map("sku", "A1"), map("sku", "B2", "tags", List.of("x", "y")))));

        assertThat(Template.parse("{{input.items[1].sku}}").render(ctx)).isEqualTo("B2");
        assertThat(Template.parse("{{input.items[1].tags[0]}}").render(ctx)).isEqualTo("x");
        assertThat(Template.parse("{{ input.items[ 0 ] }}").renderValue(ctx)).isEqualTo(map("sku", "A1"));
        String out = Template.parse("{\"last\": \"{{input.items[1].tags[1]}}\"}").render(ctx);
        assertThat(parseJson(out).get("last").asText()).isEqualTo("y");

        Reference ref = Template.parse("x {{input.items[1].tags[0]}}").references().get(0);
        assertThat(ref.root()).isEqualTo("input");
        assertThat(ref.path()).containsExactly("items", 1, "tags", 0);
        assertThat(ref.offset()).isEqualTo(2);
    }

    @Test
    void nodeIdsWithDashesAndTriggerData() {
        RunContext ctx = ctx(map());
        ctx.putOutput("action-1", map("response", map("id", "r-42", "status-code", 201)));

        Template t = Template.parse("{{action-1.response.id}}/{{action-1.response.status-code}}/{{trigger.headers.x-id}}");

        assertThat(t.references()).extracting(Reference::root).containsExactly("action-1", "action-1", "trigger");
        assertThat(t.render(ctx)).isEqualTo("r-42/201/h-7");
        assertThat(Template.parse("{{webhook-1.body}}").renderValue(ctx)).isEqualTo(map());
    }

    @Test
    void nowIsIso8601Utc() {
        Instant before = Instant.now().minusSeconds(1);

        String now = Template.parse("{{now}}").render(new RunContext());

        assertThat(now).endsWith("Z").contains("T");
        Instant parsed = Instant.parse(now);
        assertThat(parsed).isBetween(before, Instant.now().plus(Duration.ofSeconds(1)));
    }

    // ---------------------------------------------------------------- missing values

    @Test
    void missingFieldNamesThePath() {
        RunContext ctx = ctx(map("user", map("name", "Bob")));

        assertThatThrownBy(() -> Template.parse("hi {{input.user.id}}").render(ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("{{input.user.id}}")
                .hasMessageContaining("input.user has no field 'id'")
                .extracting(e -> ((MissingValueException) e).reference()).isEqualTo("input.user.id");
    }

    @Test
    void missingIndexNodeAndWrongShapeAreMissingValues() {
        RunContext ctx = ctx(map("items", List.of("a"), "name", "Bob"));

        assertThatThrownBy(() -> Template.parse("{{input.items[3]}}").render(ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("input.items has no index 3 (it has 1 items)");
        assertThatThrownBy(() -> Template.parse("{{input.name.first}}").render(ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("input.name is not an object");
        assertThatThrownBy(() -> Template.parse("{{input.name[0]}}").render(ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("input.name is not an array");
        assertThatThrownBy(() -> Template.parse("{{action-9.id}}").render(ctx))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("{{action-9.id}}")
                .hasMessageContaining("'action-9' has not run");
        assertThatThrownBy(() -> Template.parse("{{input.x}}").render(new RunContext()))
                .isInstanceOf(MissingValueException.class)
                .hasMessageContaining("{{input.x}}");
    }

    // ---------------------------------------------------------------- parse errors

    @Test
    void unclosedBracesGiveTheirOffset() {
        assertThatThrownBy(() -> Template.parse("hello {{input.name"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(6))
                .hasMessageContaining("never closed");
    }

    @Test
    void emptyReferenceGivesItsOffset() {
        assertThatThrownBy(() -> Template.parse("ab {{}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(3))
                .hasMessageContaining("empty reference");
        assertThatThrownBy(() -> Template.parse("ab {{  }}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(3));
    }

    @Test
    void badIndexesPointAtTheIndex() {
        // "x {{input.items[a]}}": '{{' at 2, 'input' at 4, '[' at 15, 'a' at 16
        assertThatThrownBy(() -> Template.parse("x {{input.items[a]}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(16))
                .hasMessageContaining("array index 'a'")
                .hasMessageContaining("not a whole number");
        assertThatThrownBy(() -> Template.parse("x {{input.items[-1]}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(16));
        assertThatThrownBy(() -> Template.parse("x {{input.items[1}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(15))
                .hasMessageContaining("'[' at 15 is never closed");
        assertThatThrownBy(() -> Template.parse("x {{input.items[99999999999]}}"))
                .isInstanceOf(TemplateException.class)
                .hasMessageContaining("too large");
    }

    @Test
    void malformedPathsArePointedAt() {
        assertThatThrownBy(() -> Template.parse("{{input..x}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(8))
                .hasMessageContaining("expected a name");
        assertThatThrownBy(() -> Template.parse("{{input.}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(8));
        assertThatThrownBy(() -> Template.parse("{{[0]}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(2));
        assertThatThrownBy(() -> Template.parse("{{input.a b}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(9))
                .hasMessageContaining("unexpected ' '");
        assertThatThrownBy(() -> Template.parse("{{input.items[0]x}}"))
                .isInstanceOfSatisfying(TemplateException.class, e -> assertThat(e.offset()).isEqualTo(16));
    }

    // ---------------------------------------------------------------- renderValue

    @Test
    void renderValueGivesTheRawValueForASingleReference() {
        Map<String, Object> payload = map("id", 7, "lines", List.of(1, 2));
        RunContext ctx = ctx(map("payload", payload, "n", 42L, "none", null));

        assertThat(Template.parse("{{input.payload}}").renderValue(ctx)).isSameAs(payload);
        assertThat(Template.parse("{{input.n}}").renderValue(ctx)).isEqualTo(42L);
        assertThat(Template.parse("{{ input.none }}").renderValue(ctx)).isNull();
        assertThat(Template.parse("n={{input.n}}").renderValue(ctx)).isEqualTo("n=42");
        assertThat(Template.parse(" {{input.n}}").renderValue(ctx)).isEqualTo(" 42");
    }
}
