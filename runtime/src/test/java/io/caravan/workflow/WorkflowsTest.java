package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkflowsTest {

    private static final Path FIXTURES = Path.of("runtime/src/test/resources/workflows");

    @TempDir
    Path dir;

    private static Workflow load(String name) {
        return Workflows.load(FIXTURES.resolve(name), name, TestBindings.ALL, TestBindings.CREDENTIALS);
    }

    /** The model without what depends on the syntax: positions, file name and content hash. */
    private static List<String> shape(Workflow wf) {
        List<String> out = new java.util.ArrayList<>(List.of(wf.id(), wf.name()));
        for (WorkflowNode n : wf.nodes()) {
            out.add(n.id() + " " + n.type() + " " + n.name() + " trigger=" + n.trigger() + " " + n.config().values());
        }
        wf.edges().forEach(e -> out.add(e.from() + "->" + e.to() + " when=" + e.when()));
        return out;
    }

    @Test
    void jsonAndYamlGiveTheSameModel() {
        Workflow json = load("user-registration.json");
        Workflow yaml = load("user-registration.yaml");

        assertThat(shape(json)).isEqualTo(shape(yaml));
        assertThat(shape(yaml)).contains(
                "trigger-1 WEBHOOK User Registration Webhook trigger=true {max_body=1048576}",
                "check CONDITION check trigger=false {expression={{action-1.status}} == 201, onTrue=action-2,"
                        + " onFalse=log-failure}",
                "action-1->check when=null",
                "check->action-2 when=true",
                "check->log-failure when=false");
        assertThat(json.executionOrder()).extracting(WorkflowNode::id)
                .containsExactly("trigger-1", "action-1", "check", "action-2", "log-failure");
        assertThat(json.sourceFile()).isEqualTo("user-registration.json");
        assertThat(json.version()).hasSize(12).isNotEqualTo(yaml.version());
        assertThat(yaml.node("action-2").orElseThrow().config().location("key"))
                .isEqualTo(new Location(27, 12, "$.nodes[3].config.key"));
        assertThat(json.node("action-2").orElseThrow().config().location("key"))
                .isEqualTo(new Location(32, 16, "$.nodes[3].config.key"));
    }

    @Test
    void everyProblemInAFileIsReportedAtOnce() {
        assertThatThrownBy(() -> load("many-problems.yaml"))
                .isInstanceOfSatisfying(InvalidFileException.class, e -> assertThat(e.diagnostics())
                        .extracting(Diagnostic::format).containsExactly(
                "many-problems.yaml:1:5: error: id 'broken flow' must start with a letter or digit and hold only"
                        + " letters, digits, '_', '.' and '-' (at $.id)",
                "many-problems.yaml:3:3: error: workflow has 2 triggers (hook, hook2); it needs exactly one (at $.nodes)",
                "many-problems.yaml:8:17: error: interval must be a duration like 500ms, 5s, 2m, 1h or 1m30s,"
                        + " got \"5 minutes\" (at $.nodes[1].config.interval)",
                "many-problems.yaml:12:7: error: http config is missing required key 'url' (at $.nodes[2].config)",
                "many-problems.yaml:13:7: error: unknown key 'ur' in http config; valid keys: method, url, headers,"
                        + " body, timeout, tls_ca_file (at $.nodes[2].config.ur)",
                "many-problems.yaml:14:16: error: timeout must be a duration like 500ms, 5s, 2m, 1h or 1m30s, got 30"
                        + " (at $.nodes[2].config.timeout)",
                "many-problems.yaml:18:7: error: send_message config is missing required key 'destination'"
                        + " (at $.nodes[3].config)",
                "many-problems.yaml:19:7: error: unknown key 'destinaton' in send_message config; valid keys:"
                        + " queue_type, destination, message, attributes, delay, priority, credential_id, message_group_id, deduplication_id, reply (at $.nodes[3].config.destinaton)",
                "many-problems.yaml:20:16: error: {{later.id}} names no earlier node; earlier nodes: hook, fetch"
                        + " (at $.nodes[3].config.message)",
                "many-problems.yaml:21:7: error: unknown key 'max_messages' in send_message config; valid keys:"
                        + " queue_type, destination, message, attributes, delay, priority, credential_id, message_group_id, deduplication_id, reply (at $.nodes[3].config.max_messages)",
                "many-problems.yaml:22:22: error: CREDENTIAL_NOT_FOUND: credential 'missing-cred' not found; known"
                        + " credentials: sqs-cred, kafka-cred, rabbit-cred (at $.nodes[3].config.credential_id)",
                "many-problems.yaml:26:17: error: duration must be at most 1h, got \"2h\" (at $.nodes[4].config.duration)",
                "many-problems.yaml:35:9: error: edge 'to' names no node 'ghost'; known nodes: hook, hook2, fetch,"
                        + " send, later (at $.edges[3].to)"));
    }

    @Test
    void directoriesSkipRoutesAndKameletsAndIdsMustBeUniqueAcrossFiles() throws IOException {
        Files.copy(FIXTURES.resolve("user-registration.yaml"), dir.resolve("a.yaml"));
        Files.copy(FIXTURES.resolve("user-registration.json"), dir.resolve("b.json"));
        Files.writeString(dir.resolve("tick.camel.yaml"), "- from:\n    uri: timer:tick\n");
        Files.writeString(dir.resolve("routes.yaml"), "- route:\n    from:\n      uri: timer:tick\n");
        Files.writeString(dir.resolve("my-source.yaml"), "apiVersion: camel.apache.org/v1\nkind: Kamelet\n");
        Files.writeString(dir.resolve("notes.txt"), "not a workflow");

        Workflows.LoadResult result = Workflows.validateAll(List.of(dir), TestBindings.ALL, TestBindings.CREDENTIALS);

        assertThat(result.workflows()).extracting(Workflow::sourceFile).containsExactly(dir.resolve("a.yaml").toString());
        assertThat(result.diagnostics()).extracting(Diagnostic::format).containsExactly(
                dir.resolve("b.json") + ":2:9: error: duplicate workflow id 'user-registration' (also in "
                        + dir.resolve("a.yaml") + ":1:5) (at $.id)");
        assertThat(Workflows.looksLikeWorkflow(dir.resolve("routes.yaml"))).isFalse();
        assertThat(Workflows.looksLikeWorkflow(dir.resolve("a.yaml"))).isTrue();
    }

    @Test
    void loadAllThrowsWithEveryFilesProblems() throws IOException {
        Path good = Files.copy(FIXTURES.resolve("user-registration.yaml"), dir.resolve("good.yaml"));
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"id\": \"x\",\n  \"nodes\": [}\n");

        assertThatThrownBy(() -> Workflows.loadAll(List.of(good, broken), TestBindings.ALL, TestBindings.CREDENTIALS))
                .isInstanceOf(InvalidFileException.class)
                .hasMessage(broken + ":2:13: error: invalid JSON: Unexpected close marker '}': expected ']'"
                        + " (for Array starting at 2:12) (at $.nodes)");
        assertThat(Workflows.loadAll(List.of(good), TestBindings.ALL, TestBindings.CREDENTIALS))
                .extracting(Workflow::id).containsExactly("user-registration");
    }
}
