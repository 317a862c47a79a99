package io.caravan.source;

import io.caravan.workflow.Workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SourceParserTest {

    private static SourceNode parse(String text, SourceParser.Format format) {
        return SourceParser.parse(text.getBytes(StandardCharsets.UTF_8), format, "f").root();
    }

    private static List<String> errors(String text, SourceParser.Format format) {
        try {
            SourceParser.parse(text.getBytes(StandardCharsets.UTF_8), format, "f");
            return List.of();
        } catch (InvalidFileException e) {
            return e.diagnostics().stream().map(Diagnostic::format).toList();
        }
    }

    @Test
    void jsonKeepsLineColumnAndPathOfKeysAndValues() {
        SourceMap root = (SourceMap) parse("""
                {
                  "id": "wf",
                  "nodes": [
                    {"id": "a"},
                    {"id": "b", "config": {"queue_type": "sqs"}}
                  ]
                }
                """, SourceParser.Format.JSON);
        SourceList nodes = (SourceList) root.get("nodes").orElseThrow();
        SourceMap config = (SourceMap) ((SourceMap) nodes.items().get(1)).get("config").orElseThrow();
        SourceMap.Entry queueType = config.entry("queue_type").orElseThrow();

        assertThat(root.get("id").orElseThrow().location()).isEqualTo(new Location(2, 9, "$.id"));
        assertThat(nodes.items().get(0).location()).isEqualTo(new Location(4, 5, "$.nodes[0]"));
        assertThat(queueType.keyLocation()).isEqualTo(new Location(5, 28, "$.nodes[1].config.queue_type"));
        assertThat(queueType.value().location()).isEqualTo(new Location(5, 42, "$.nodes[1].config.queue_type"));
    }

    @Test
    void yamlKeepsLineColumnAndPathAndScalarTypes() {
        SourceMap root = (SourceMap) parse("""
                id: wf
                nodes:
                  - id: a
                    config:
                      max_messages: 10
                      quoted: "10"
                      flag: true
                      empty:
                """, SourceParser.Format.YAML);
        SourceMap config = (SourceMap) ((SourceMap) ((SourceList) root.get("nodes").orElseThrow()).items().get(0))
                .get("config").orElseThrow();

        assertThat(config.entry("max_messages").orElseThrow().value())
                .isEqualTo(new SourceScalar(new Location(5, 21, "$.nodes[0].config.max_messages"), 10L));
        assertThat(((SourceScalar) config.get("quoted").orElseThrow()).value()).isEqualTo("10");
        assertThat(((SourceScalar) config.get("flag").orElseThrow()).value()).isEqualTo(true);
        assertThat(config.get("empty")).isEmpty();
        assertThat(config.keys()).containsExactly("max_messages", "quoted", "flag", "empty");
        Map<String, Object> plainConfig = new java.util.LinkedHashMap<>(Map.of("max_messages", 10L, "quoted", "10",
                "flag", true));
        plainConfig.put("empty", null);
        assertThat(root.toPlain()).isEqualTo(Map.of("id", "wf", "nodes", List.of(Map.of("id", "a", "config",
                plainConfig))));
    }

    @Test
    void oddKeysAreBracketedInPaths() {
        SourceMap root = (SourceMap) parse("{\"a b\": {\"x\": 1}}", SourceParser.Format.JSON);
        SourceMap inner = (SourceMap) root.get("a b").orElseThrow();
        assertThat(inner.get("x").orElseThrow().location().path()).isEqualTo("$['a b'].x");
    }

    @Test
    void jsonSyntaxErrorIsOneLineAtTheParsersPosition() {
        assertThat(errors("""
                {
                  "id": "wf",
                  "nodes": [ {"id": "a",} ]
                }
                """, SourceParser.Format.JSON)).containsExactly(
                "f:3:25: error: invalid JSON: Unexpected character ('}'): was expecting double-quote to start"
                        + " field name (at $.nodes[0].id)");
    }

    @Test
    void jsonUnclosedObjectNamesWhereItStarted() {
        assertThat(errors("{\"id\": \"wf\"", SourceParser.Format.JSON)).containsExactly(
                "f:1:12: error: invalid JSON: Unexpected end-of-input: expected close marker for Object"
                        + " (start marker at 1:1) (at $.id)");
    }

    @Test
    void yamlSyntaxErrorIsOneLineAtTheProblem() {
        assertThat(errors("""
                id: wf
                nodes:
                  - id: a
                    type: [webhook
                """, SourceParser.Format.YAML)).containsExactly(
                "f:5:1: error: invalid YAML: expected ',' or ']', but got <stream end>"
                        + " (while parsing a flow sequence at 4:11) (at $.nodes[0].type[0])");
    }

    @Test
    void badIndentationIsAYamlError() {
        assertThat(errors("id: wf\n  nodes: []\n", SourceParser.Format.YAML)).containsExactly(
                "f:2:8: error: invalid YAML: mapping values are not allowed here (at $.id)");
    }

    @Test
    void duplicateKeysAreErrorsInBothSyntaxes() {
        assertThat(errors("""
                id: wf
                nodes:
                  - id: a
                    type: webhook
                    id: b
                id: again
                """, SourceParser.Format.YAML)).containsExactly(
                "f:5:5: error: duplicate key 'id' (first written at 3:5) (at $.nodes[0].id)",
                "f:6:1: error: duplicate key 'id' (first written at 1:1) (at $.id)");
        assertThat(errors("{\"id\": \"a\", \"id\": \"b\"}", SourceParser.Format.JSON)).containsExactly(
                "f:1:13: error: duplicate key 'id' (first written at 1:2) (at $.id)");
    }

    @Test
    void emptyFileAndSecondDocumentAreErrors() {
        assertThat(errors("# nothing here\n", SourceParser.Format.YAML))
                .containsExactly("f:1:1: error: file is empty (at $)");
        assertThat(errors("id: a\n---\nid: b\n", SourceParser.Format.YAML)).containsExactly(
                "f:3:1: error: unexpected content after the end of the document; a file holds one document (at $)");
    }

    @Test
    void yamlAliasesAreRejected() {
        assertThat(errors("a: &x 1\nb: *x\n", SourceParser.Format.YAML)).containsExactly(
                "f:2:4: error: YAML aliases (*x) are not supported; write the value out (at $.b)");
    }

    @Test
    void tellsWorkflowsFromRoutesAndKamelets() {
        assertThat(Workflows.looksLikeWorkflow(parse("id: wf\nnodes: []\n", SourceParser.Format.YAML))).isTrue();
        assertThat(Workflows.looksLikeWorkflow(parse("""
                - route:
                    from:
                      uri: timer:tick
                """, SourceParser.Format.YAML))).isFalse();
        assertThat(Workflows.looksLikeWorkflow(parse("""
                apiVersion: camel.apache.org/v1
                kind: Kamelet
                metadata:
                  name: x
                """, SourceParser.Format.YAML))).isFalse();
    }

    @Test
    void versionIsAHashOfTheBytes() {
        ParsedFile a = SourceParser.parse("id: a\n".getBytes(StandardCharsets.UTF_8), SourceParser.Format.YAML, "f");
        ParsedFile b = SourceParser.parse("id: b\n".getBytes(StandardCharsets.UTF_8), SourceParser.Format.YAML, "f");
        assertThat(a.version()).hasSize(12).matches("[0-9a-f]+").isNotEqualTo(b.version());
    }

    @Test
    void unknownExtensionIsAnError() {
        assertThatThrownBy(() -> SourceParser.parse(java.nio.file.Path.of("wf.txt"), "wf.txt"))
                .isInstanceOf(InvalidFileException.class)
                .hasMessage("wf.txt:1:1: error: unknown file type; use .json, .yaml or .yml (at $)");
    }
}
