package io.caravan.workflowtest;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.credential.CredentialStore;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.WorkflowSet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code caravan test}: the example tests pass, and a wrong expectation, a missing stub or a bad file fail readably. */
class WorkflowTestsTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    private int run(Path... paths) throws Exception {
        CredentialStore credentials = WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of(".")));
        return new WorkflowTests(new PrintStream(printed, true, StandardCharsets.UTF_8), credentials).run(List.of(paths));
    }

    private String output() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theExampleTestsPass() throws Exception {
        int code = run(Path.of("workflows"));
        assertThat(output()).as(output()).doesNotContain("FAIL").containsPattern("\\n(\\d+) passed, 0 failed\\n");
        assertThat(code).isZero();
        // every case of every example test file ran
        long cases = 0;
        for (Path f : WorkflowTests.find(List.of(Path.of("workflows")))) {
            cases += TestFile.read(f).cases().size();
        }
        assertThat(output()).contains("\n" + cases + " passed, 0 failed");
    }

    private void workflow() throws Exception {
        Files.writeString(dir.resolve("relay.yaml"), """
                id: relay
                nodes:
                  - id: hook
                    type: webhook
                  - id: lookup
                    type: http
                    config: {url: "https://api.example/users/{{input.id}}"}
                  - id: out
                    type: send_message
                    config:
                      queue_type: kafka
                      destination: users
                      message: '{"id": "{{input.id}}", "name": "{{lookup.response.name}}", "at": "{{now}}"}'
                      credential_id: kafka-local
                edges: [{from: hook, to: lookup}, {from: lookup, to: out}]
                """);
    }

    @Test
    void aWrongExpectationFailsWithThePathOfEachDifference() throws Exception {
        workflow();
        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relay
                now: "2026-05-01T12:00:00Z"
                cases:
                  - name: right
                    input: {id: u1}
                    stubs: {lookup: {status: 200, body: {name: Ada}}}
                    expect:
                      sent: {out: [{body: {id: u1, name: Ada, at: "2026-05-01T12:00:00Z"}}]}
                  - name: wrong
                    input: {id: u2}
                    stubs: {lookup: {status: 200, body: {name: Bob}}}
                    expect:
                      sent: {out: [{body: {id: u2, name: Rob, at: "2026-05-01T12:00:00Z"}}]}
                """);
        assertThat(run(dir)).isEqualTo(1);
        assertThat(output()).contains("PASS relay › right", "FAIL relay › wrong",
                "sent.out[0].body.name: expected \"Rob\", got \"Bob\"", "1 passed, 1 failed");
    }

    @Test
    void aNodeThatReachesOutsideWithoutAStubFailsTheCaseNamingIt() throws Exception {
        workflow();
        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relay
                cases:
                  - input: {id: u1}
                    expect: {error: {code: CONNECTION_FAILED}}
                """);
        assertThat(run(dir.resolve("relay.yaml"))).isEqualTo(1);
        assertThat(output()).contains("FAIL relay › case 1", "node 'lookup' (http GET https://api.example/users/u1) has no stub");
    }

    @Test
    void anExpectedErrorThatDoesNotComeFails() throws Exception {
        workflow();
        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relay
                cases:
                  - name: the lookup answers 404
                    input: {id: u1}
                    stubs: {lookup: {status: 404, body: {name: nobody}}}
                    expect: {error: {code: HTTP_4XX, node: lookup}}
                """);
        assertThat(run(dir)).isEqualTo(1);
        // the node does not retry on HTTP_4XX, so a 404 is an answer, not a failure: the run sends
        assertThat(output()).contains("error: expected {\"code\":\"HTTP_4XX\",\"node\":\"lookup\"}, but the run completed");
    }

    @Test
    void aBadTestFileSaysWhereAndWhat() throws Exception {
        workflow();
        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relay
                cases:
                  - input: {id: u1}
                    expcet: {output: {}}
                """);
        assertThat(run(dir)).isEqualTo(1);
        assertThat(output()).contains("relay.test.yaml: unknown key 'expcet' in cases[0]; valid keys:");

        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relay
                cases:
                  - input: {id: u1}
                    stubs: {lookup: {error: TIMEOUTS}}
                    expect: {error: {code: TIMEOUT}}
                """);
        printed.reset();
        assertThat(run(dir)).isEqualTo(1);
        assertThat(output()).contains("stubs.lookup.error: unknown error code 'TIMEOUTS'; codes:");

        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relay
                cases:
                  - input: {id: u1}
                    stubs: {lookpu: {status: 200}}
                    expect: {output: {}}
                """);
        printed.reset();
        assertThat(run(dir)).isEqualTo(1);
        assertThat(output()).contains("stubs.lookpu: workflow 'relay' has no node 'lookpu'; its nodes: hook, lookup, out");

        Files.writeString(dir.resolve("relay.test.yaml"), """
                workflow: relya
                cases:
                  - expect: {output: {}}
                """);
        printed.reset();
        assertThat(run(dir)).isEqualTo(1);
        assertThat(output()).contains("workflow: no workflow 'relya' in");
    }

    @Test
    void fiftyCasesShareOneContextAndEachPrintsItsTime() throws Exception {
        workflow();
        StringBuilder cases = new StringBuilder("workflow: relay\ncases:\n");
        for (int i = 0; i < 50; i++) {
            cases.append("  - input: {id: u").append(i).append("}\n")
                    .append("    stubs: {lookup: {status: 200, body: {name: N").append(i).append("}}}\n")
                    .append("    expect: {sent: {out: [{body: {id: u").append(i).append(", name: N").append(i)
                    .append(", at: \"2026-01-01T00:00:00Z\"}}]}}\n");
        }
        Files.writeString(dir.resolve("relay.test.yaml"), cases);
        assertThat(run(dir)).as(output()).isZero();
        // each case prints its time: the slowest, after the first, says how long a case takes here
        List<Long> ms = output().lines().filter(l -> l.contains("PASS")).map(l -> Long.parseLong(l.replaceAll(".*\\((\\d+) ms\\)$", "$1")))
                .toList();
        assertThat(ms).hasSize(50);
        System.out.println("WORKFLOW-TESTS 50 cases, first " + ms.get(0) + " ms, slowest after it "
                + ms.subList(1, ms.size()).stream().mapToLong(Long::longValue).max().orElse(0) + " ms");
    }
}
