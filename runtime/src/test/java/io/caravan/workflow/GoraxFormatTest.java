package io.caravan.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.source.SourceParser;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Issue 10: a workflow exported from Gorax (stherrien/gorax) reads as Caravan's: prefixed node
 * types, data.config, source/target edges with labels, expressions over steps.* and trigger.*.
 */
class GoraxFormatTest {

    @Test
    void aGoraxExportReadsAsCaravansWorkflow() {
        Workflow wf = Check.validate("""
                {"name": "Checks", "definition": {
                  "nodes": [
                    {"id": "hook", "type": "trigger:webhook", "position": {"x": 1, "y": 2},
                     "data": {"name": "In", "config": {"path": "/webhook/x", "auth_type": "none"}}},
                    {"id": "lookup", "type": "action:http", "data": {"config": {"method": "POST",
                     "url": "http://127.0.0.1:9/users/{{trigger.body.user_id}}", "timeout": 5,
                     "body": {"id": "{{steps.hook.body.user_id}}"}}}},
                    {"id": "ok", "type": "control:if", "data": {"config": {"condition":
                     "steps.lookup.status_code == 200 and steps.lookup.output.body.state === 'on' || ${trigger.body.force}",
                     "description": "a note"}}},
                    {"id": "wait", "type": "control:delay", "data": {"config": {"duration": "1s"}}}
                  ],
                  "edges": [
                    {"id": "e1", "source": "hook", "target": "lookup"},
                    {"id": "e2", "source": "lookup", "target": "ok", "label": ""},
                    {"id": "e3", "source": "ok", "target": "wait", "sourceHandle": "true", "label": "true"}
                  ]}}
                """, SourceParser.Format.JSON, "gorax/checks-export.json");
        // no id in the document: the file name gives it
        assertThat(wf.id()).isEqualTo("checks-export");
        assertThat(wf.name()).isEqualTo("Checks");
        assertThat(wf.nodes()).extracting(n -> n.id() + ":" + n.type().wireName())
                .containsExactly("hook:webhook", "lookup:http", "ok:condition", "wait:delay");
        assertThat(wf.node("lookup").orElseThrow().config().string("url")).isEqualTo("http://127.0.0.1:9/users/{{trigger.body.user_id}}");
        assertThat(wf.node("lookup").orElseThrow().config().string("body")).isEqualTo("{\"id\":\"{{hook.body.user_id}}\"}");
        assertThat(wf.node("lookup").orElseThrow().config().duration("timeout")).hasSeconds(5);
        // an http node's body and status_code are Caravan's response and status
        assertThat(wf.node("ok").orElseThrow().config().string("expression")).isEqualTo(
                "{{lookup.status}} == 200 && {{lookup.response.state}} == 'on' || {{trigger.body.force}}");
        assertThat(wf.edges()).extracting(e -> e.from() + "->" + e.to() + ":" + e.when())
                .containsExactly("hook->lookup:null", "lookup->ok:null", "ok->wait:true");
    }

    @Test
    void whatCaravanCannotRunIsNamedWhereItIsWritten() throws Exception {
        String text;
        try (InputStream in = GoraxFormatTest.class.getResourceAsStream("/gorax/user-check.json")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(Check.problems(text, SourceParser.Format.JSON, "user-check.json")).containsExactly(
                "user-check.json:20:20: error: Gorax's env.users_api has no Caravan counterpart: put the value in the"
                        + " workflow or in the message (at $.definition.nodes[1].data.config.url)",
                "user-check.json:46:17: error: Gorax node type 'action:email' is not supported by Caravan; types Caravan"
                        + " runs: action:http, control:delay, control:if, trigger:schedule, trigger:webhook"
                        + " (at $.definition.nodes[4].type)");
        assertThat(Check.problems("""
                {"nodes": [{"id": "hook", "type": "trigger:webhook", "data": {"config": {"auth_type": "signature"}}},
                           {"id": "each", "type": "control:loop", "data": {"config": {"source": "trigger.body.items"}}}],
                 "edges": [{"source": "hook", "target": "each"}]}
                """, SourceParser.Format.JSON, "loop.json")).containsExactly(
                "loop.json:1:87: error: Gorax auth_type 'signature' keeps its secret in the workflow; in Caravan set auth"
                        + " (hmac, api_key or basic) with credential_id naming a webhook_secret credential"
                        + " (at $.nodes[0].data.config.auth_type)",
                "loop.json:2:35: error: Gorax node type 'control:loop' is not read from Gorax yet (its loops, parallel"
                        + " branches, sub-workflows and try/catch are still to come; Caravan's own for_each and error edges"
                        + " can replace a loop and a try/catch); types Caravan runs: action:http,"
                        + " control:delay, control:if, trigger:schedule, trigger:webhook (at $.nodes[1].type)");
    }

    @Test
    void goraxCronIsReadAsQuartzCron() {
        String template = """
                {"nodes": [{"id": "tick", "type": "trigger:schedule", "data": {"config": {"cron_expression": "%s",
                 "timezone": "Europe/Berlin"}}}], "edges": []}
                """;
        for (String[] c : new String[][] {{"*/5 * * * *", "0 */5 * * * ?"}, {"0 9 * * 1-5", "0 0 9 ? * 2-6"},
                {"30 0 9 1 * *", "30 0 9 1 * ?"}, {"@daily", "0 0 0 * * ?"}, {"0 8 * * 0", "0 0 8 ? * 1"}}) {
            Workflow wf = Check.validate(template.formatted(c[0]), SourceParser.Format.JSON, "tick.json");
            assertThat(wf.trigger().config().string("cron")).as(c[0]).isEqualTo(c[1]);
            assertThat(wf.trigger().config().string("timezone")).isEqualTo("Europe/Berlin");
        }
    }
}
