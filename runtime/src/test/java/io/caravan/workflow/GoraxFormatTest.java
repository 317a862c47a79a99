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
                        + " runs: action:http, action:subworkflow, control:delay, control:fork, control:if, control:join,"
                        + " control:loop, control:parallel, control:sub_workflow, trigger:schedule, trigger:webhook"
                        + " (at $.definition.nodes[4].type)");
        assertThat(Check.problems("""
                {"nodes": [{"id": "hook", "type": "trigger:webhook", "data": {"config": {"auth_type": "signature"}}},
                           {"id": "each", "type": "control:try", "data": {"config": {}}}],
                 "edges": [{"source": "hook", "target": "each"}]}
                """, SourceParser.Format.JSON, "loop.json")).containsExactly(
                "loop.json:1:87: error: Gorax auth_type 'signature' keeps its secret in the workflow; in Caravan set auth"
                        + " (hmac, api_key or basic) with credential_id naming a webhook_secret credential"
                        + " (at $.nodes[0].data.config.auth_type)",
                "loop.json:2:35: error: Gorax node type 'control:try' is not read from Gorax: write it with Caravan's"
                        + " error edges (label: error) and error_handling (retry, circuit_breaker); types Caravan runs:"
                        + " action:http, action:subworkflow, control:delay, control:fork, control:if, control:join,"
                        + " control:loop, control:parallel, control:sub_workflow, trigger:schedule, trigger:webhook"
                        + " (at $.nodes[1].type)");
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

    @Test
    void goraxLoopsForksParallelsAndSubWorkflowsReadAsCaravans() {
        Workflow wf = Check.validate("""
                {"nodes": [
                  {"id": "hook", "type": "trigger:webhook", "data": {"config": {}}},
                  {"id": "each", "type": "control:loop", "data": {"config": {"source": "${trigger.body.orders}",
                    "item_variable": "order", "index_variable": "i", "max_iterations": 50, "on_error": "stop"}}},
                  {"id": "check", "type": "action:http", "data": {"config": {"method": "POST", "url": "http://127.0.0.1:9/check",
                    "body": {"id": "{{order.id}}", "at": "${i}", "also": "{{loop.item.sku}}"}}}},
                  {"id": "fork", "type": "control:fork", "data": {"config": {"branch_count": 2}}},
                  {"id": "left", "type": "control:delay", "data": {"config": {"duration": "1ms"}}},
                  {"id": "right", "type": "action:subworkflow", "data": {"config": {"workflow_id": "enrich",
                    "workflow_name": "Enrich", "input_mapping": {"count": "${steps.each.count}", "note": "n {{trigger.body.note}}"},
                    "wait_for_result": true}}},
                  {"id": "meet", "type": "control:join", "data": {"config": {"join_strategy": "wait_n", "required_count": 1,
                    "timeout_ms": 1500, "on_timeout": "fail"}}},
                  {"id": "both", "type": "control:parallel", "data": {"config": {"wait_mode": "first", "timeout": "2s",
                    "branches": [{"name": "a", "nodes": ["a1", "a2"]}, {"name": "b", "nodes": ["b1"]}]}}},
                  {"id": "a1", "type": "control:delay", "data": {"config": {"duration": "1ms"}}},
                  {"id": "a2", "type": "control:delay", "data": {"config": {"duration": "1ms"}}},
                  {"id": "b1", "type": "control:delay", "data": {"config": {"duration": "1ms"}}},
                  {"id": "end", "type": "control:delay", "data": {"config": {"duration": "1ms"}}}
                ],
                "edges": [
                  {"source": "hook", "target": "each"},
                  {"source": "each", "target": "check"},
                  {"source": "each", "target": "fork"},
                  {"source": "fork", "target": "left"},
                  {"source": "fork", "target": "right"},
                  {"source": "left", "target": "meet"},
                  {"source": "right", "target": "meet"},
                  {"source": "meet", "target": "both"},
                  {"source": "both", "target": "a1"},
                  {"source": "both", "target": "end"}
                ]}
                """, SourceParser.Format.JSON, "flows/orders.json");
        assertThat(wf.nodes()).extracting(n -> n.id() + ":" + n.type().wireName()).containsExactly("hook:webhook",
                "each:for_each", "check:http", "fork:parallel", "left:delay", "right:workflow", "meet:join",
                "both:parallel", "a1:delay", "a2:delay", "b1:delay", "end:delay", "both-join:join");
        WorkflowNode each = wf.node("each").orElseThrow();
        assertThat(each.config().string("items")).isEqualTo("{{trigger.body.orders}}");
        assertThat(each.config().number("max_items")).isEqualTo(50);
        // the loop's item and index variables, and loop.*, are the for_each's in its body
        assertThat(wf.node("check").orElseThrow().config().string("body"))
                .isEqualTo("{\"id\":\"{{each.item.id}}\",\"at\":\"{{each.index}}\",\"also\":\"{{each.item.sku}}\"}");
        WorkflowNode right = wf.node("right").orElseThrow();
        assertThat(right.config().string("workflow_id")).isEqualTo("enrich");
        assertThat(right.config().string("mode")).isEqualTo("sync");
        assertThat(right.config().string("input")).isEqualTo("{\"count\": {{each.count}}, \"note\": \"n {{trigger.body.note}}\"}");
        WorkflowNode meet = wf.node("meet").orElseThrow();
        assertThat(meet.config().string("wait")).isEqualTo("any");
        assertThat(meet.config().duration("timeout")).hasMillis(1500);
        WorkflowNode bothJoin = wf.node("both-join").orElseThrow();
        assertThat(bothJoin.config().string("wait")).isEqualTo("any");
        assertThat(bothJoin.config().duration("timeout")).hasSeconds(2);
        // the loop's first edge enters its body; a control:parallel's branches are chained up to its join,
        // and what followed it follows the join
        assertThat(wf.edges()).extracting(e -> e.from() + "->" + e.to() + (e.label() == null ? "" : ":" + e.label()))
                .containsExactly("hook->each", "each->check:each", "each->fork", "fork->left", "fork->right", "left->meet",
                        "right->meet", "meet->both", "both->a1", "both-join->end", "a1->a2", "a2->both-join", "both->b1",
                        "b1->both-join");
        assertThat(wf.fork("both").branches()).containsExactly(java.util.Set.of("a1", "a2"), java.util.Set.of("b1"));
    }

    @Test
    void goraxOptionsCaravanDoesNotHaveAreNamed() {
        assertThat(Check.problems("""
                {"nodes": [
                  {"id": "hook", "type": "trigger:webhook", "data": {"config": {}}},
                  {"id": "each", "type": "control:loop", "data": {"config": {"source": "trigger.body.items",
                    "on_error": "continue", "key_variable": "k"}}},
                  {"id": "call", "type": "control:sub_workflow", "data": {"config": {"workflow_id": "x",
                    "output_mapping": {"a": "b"}, "timeout": "5s"}}},
                  {"id": "both", "type": "control:parallel", "data": {"config": {"failure_mode": "continue",
                    "branches": []}}}
                ],
                "edges": [
                  {"source": "hook", "target": "each"}, {"source": "each", "target": "call"}, {"source": "call", "target": "both"}
                ]}
                """, SourceParser.Format.JSON, "opts.json")).containsExactly(
                "opts.json:4:17: error: on_error \"continue\": a Caravan loop stops at an item that fails; to go on, give"
                        + " the failing body node an error edge (label: error) (at $.nodes[1].data.config.on_error)",
                "opts.json:4:45: error: key_variable: a Caravan loop goes over an array, not an object's keys"
                        + " (at $.nodes[1].data.config.key_variable)",
                "opts.json:6:23: error: output_mapping: a workflow node's output is the called workflow's; later nodes"
                        + " read {{<node>.<field>}} from it (at $.nodes[2].data.config.output_mapping)",
                "opts.json:6:46: error: timeout: a Caravan workflow node has no timeout of its own; give the called"
                        + " workflow's nodes theirs (at $.nodes[2].data.config.timeout)",
                "opts.json:7:65: error: control:parallel 'both' lists no branches (config.branches: [{name, nodes: [node"
                        + " ids]}]) (at $.nodes[3].data.config)");
    }
}
