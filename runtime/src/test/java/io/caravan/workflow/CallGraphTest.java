package io.caravan.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.source.Diagnostic;
import io.caravan.source.SourceParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallGraphTest {

    private static Workflow file(String name, String yaml) {
        return Check.validate(yaml, SourceParser.Format.YAML, name);
    }

    private static List<String> problems(Workflow... workflows) {
        return CallGraph.problems(List.of(workflows)).stream().map(Diagnostic::format).toList();
    }

    @Test
    void aCycleOfCallsIsNamedAtTheCallThatStartsIt() {
        Workflow a = file("a.yaml", """
                id: a
                nodes:
                  - {id: hook, type: webhook}
                  - {id: to-b, type: workflow, config: {workflow_id: b}}
                edges:
                  - {from: hook, to: to-b}
                """);
        Workflow b = file("b.yaml", """
                id: b
                nodes:
                  - {id: called, type: call}
                  - {id: to-c, type: workflow, config: {workflow_id: c, mode: async}}
                edges:
                  - {from: called, to: to-c}
                """);
        Workflow c = file("c.yaml", """
                id: c
                nodes:
                  - {id: called, type: call}
                  - {id: back, type: workflow, config: {workflow_id: b}}
                  - {id: self, type: workflow, config: {workflow_id: c}}
                edges:
                  - {from: called, to: back}
                  - {from: back, to: self}
                """);
        assertThat(problems(a, b, c)).containsExactly(
                "b.yaml:4:54: error: calls form a cycle: b -> c -> b; a workflow may not call itself, directly or"
                        + " through others (at $.nodes[1].config.workflow_id)",
                "c.yaml:5:54: error: calls form a cycle: c -> c; a workflow may not call itself, directly or through"
                        + " others (at $.nodes[2].config.workflow_id)");
    }

    @Test
    void aCallNamesALoadedWorkflow() {
        Workflow a = file("a.yaml", """
                id: a
                nodes:
                  - {id: hook, type: webhook}
                  - {id: missing, type: workflow, config: {workflow_id: nowhere}}
                  - {id: hooked, type: workflow, config: {workflow_id: a}}
                edges:
                  - {from: hook, to: missing}
                  - {from: missing, to: hooked}
                """);
        assertThat(problems(a)).containsExactly(
                "a.yaml:4:57: error: workflow_id names no workflow 'nowhere'; loaded workflows: a (at $.nodes[1].config.workflow_id)",
                "a.yaml:5:56: error: calls form a cycle: a -> a; a workflow may not call itself, directly or through"
                        + " others (at $.nodes[2].config.workflow_id)");
    }
}
