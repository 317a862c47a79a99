package io.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The validate and compile commands as a user sees them: output, file names as given, exit codes. */
class CaravanCliTest {

    @TempDir
    Path dir;

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int caravan(String... args) {
        return new Caravan(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), Path.of(".")).execute(args);
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void validatesTheExamples() throws Exception {
        assertThat(caravan("validate", "workflows")).isEqualTo(0);
        long examples;
        try (var files = java.nio.file.Files.list(java.nio.file.Path.of("workflows"))) {
            // a workflow's unit test (*.test.yaml) beside it is not a workflow
            examples = files.filter(f -> !io.caravan.workflow.Workflows.isOtherYaml(f.getFileName().toString())).count();
        }
        assertThat(out()).startsWith(examples + " workflows valid: ")
                .contains("orders-kafka-to-sqs", "payments-webhook-to-rabbitmq", "events-sqs-to-kafka",
                        "signups-webhook-to-kafka");
        assertThat(err()).isEmpty();
    }

    /** Several instances share the queues, not an in-memory idempotency store: validate says so. */
    @Test
    void aMemoryIdempotencyStoreIsNotedAsPerInstance() throws Exception {
        Path workflow = dir.resolve("dedup.yaml");
        Files.writeString(workflow, """
                id: dedup
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: kafka, source: orders, credential_id: kafka-local}
                    idempotency: {key: "{{input.id}}"}
                  - {id: note, type: log, config: {message: "{{input}}"}}
                edges: [{from: in, to: note}]
                """);
        assertThat(caravan("validate", workflow.toString())).as(err()).isEqualTo(0);
        assertThat(out()).contains("note: dedup: idempotency store memory is per instance");
    }

    @Test
    void reportsEveryProblemWithTheFileAsGivenAndExitsOne() throws Exception {
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, """
                {
                  "id": "broken",
                  "nodes": [
                    {"id": "in", "type": "webhook"},
                    {"id": "out", "type": "send_message", "config": {
                      "queue_type": "kafka", "destinaton": "t", "message": "{{nowhere.x}}",
                      "credential_id": "kafka-prod"}}
                  ],
                  "edges": [{"from": "in", "to": "out"}]
                }
                """);
        assertThat(caravan("validate", broken.toString())).isEqualTo(1);
        String[] lines = err().split("\n");
        assertThat(lines).allSatisfy(line -> assertThat(line).matches(
                "(" + java.util.regex.Pattern.quote(broken.toString()) + ":\\d+:\\d+: error: .+ \\(at \\$[^)]*\\))|\\d+ problems? found"));
        assertThat(err()).contains(broken + ":6:").contains("destinaton")
                .contains("CREDENTIAL_NOT_FOUND").contains("nowhere");
        assertThat(lines[lines.length - 1]).matches("\\d+ problems found");
    }

    @Test
    void twoWorkflowsOnOneQueueAreFoundBeforeStartWhileTopicsAndStreamsHaveASubscriberEach() throws Exception {
        // seen in issue 11: dev stopped with "INTERNAL in node 'null': ... Multiple consumers for the
        // same endpoint is not allowed" while validate called both workflows valid
        readersOfOrders(dir, "sqs", "sqs-local");
        assertThat(caravan("validate", dir.toString())).isEqualTo(1);
        assertThat(err()).contains(dir.resolve("billing.yaml") + ":3:71: error: workflow 'billing' reads sqs source"
                + " 'orders' with credential 'sqs-local' as workflow 'audit' does (" + dir.resolve("audit.yaml") + ":3:71);"
                + " a queue gives each message to one reader");

        // on Kafka and Redis each workflow reads in its own consumer group: both read every message
        for (String[] broker : new String[][] {{"kafka", "kafka-local"}, {"redis", "redis-local"}}) {
            Path folder = Files.createDirectories(dir.resolve(broker[0]));
            readersOfOrders(folder, broker[0], broker[1]);
            out.reset();
            err.reset();
            assertThat(caravan("validate", folder.toString())).as(err()).isEqualTo(0);
            assertThat(out()).startsWith("2 workflows valid: audit, billing");
        }
    }

    @Test
    void twoNodesOfOneWorkflowInOneGroupAreReported() throws Exception {
        Path wf = dir.resolve("split.yaml");
        Files.writeString(wf, """
                id: split
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: orders, credential_id: kafka-local}}
                  - {id: again, type: receive_message, config: {queue_type: kafka, source: orders, credential_id: kafka-local}}
                  - {id: own, type: receive_message, config: {queue_type: kafka, source: orders, credential_id: kafka-local, consumer_group: peek}}
                edges: [{from: in, to: again}, {from: again, to: own}]
                """);
        assertThat(caravan("validate", wf.toString())).isEqualTo(1);
        assertThat(err()).contains(wf + ":4:76: error: node 'again' reads kafka source 'orders' in the same consumer"
                + " group as node 'in' (line 3), the workflow's; they would split its messages")
                .doesNotContain("node 'own'");
    }

    /** Workflows audit and billing, both reading the source orders with the same credential. */
    private static void readersOfOrders(Path folder, String queueType, String credential) throws Exception {
        for (String id : new String[] {"audit", "billing"}) {
            Files.writeString(folder.resolve(id + ".yaml"), """
                    id: %s
                    nodes:
                      - {id: in, type: receive_message, config: {queue_type: %s, source: orders, credential_id: %s}}
                      - {id: note, type: log, config: {message: "{{input}}"}}
                    edges: [{from: in, to: note}]
                    """.formatted(id, queueType, credential));
        }
    }

    @Test
    void validateChecksRouteFilesLineByLine() throws Exception {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        Files.writeString(routes.resolve("application.properties"), "present.setting=1\n");
        Files.writeString(routes.resolve("broken.camel.yaml"), """
                - route:
                    id: broken
                    from:
                      uri: timer:tick
                      parameters:
                        perod: 1000
                      steps:
                        - lgo: hi
                        - log:
                            mesage: hi
                        - to: "log:x?level=LOUD&showAll=yes"
                        - to: "slack:#general"
                        - to: "kamelet:no-such-kamelet"
                        - to: "kamelet:kafka-sink?topic=t&user=u&password=p"
                        - setBody:
                            simple: "{{missing.setting}}"
                        - setHeader:
                            name: x
                            simple: "{{present.setting}} {{defaulted:yes}} {{?optional}} {{env:NO_SUCH_VAR_HERE}}"
                        - delay:
                            constant: 1000
                        - choice:
                            when:
                              - simple: "${body} == 1"
                                steps:
                                  - to: seda:a?size={{queue.size:10}}
                            otherwis:
                              steps:
                                - log: x
                - route:
                    id: broken
                    from:
                      uri: "kafka:{{env:TOPIC:t}}"
                      parameters:
                        brokers: "{{kafka.brokers:localhost:9092}}"
                      steps:
                        - to:
                            uri: kafka:out?brokers=x
                            parameters:
                              acks: all
                """);
        Files.writeString(routes.resolve("garbled.camel.yaml"), "- route: [unclosed\n");
        Files.writeString(routes.resolve("fine.camel.yaml"), """
                - route:
                    from:
                      uri: "timer:t?period={{tick:1000}}"
                      steps:
                        - to: log:fine
                """);
        assertThat(caravan("validate", routes.toString())).isEqualTo(1);
        String f = routes.resolve("broken.camel.yaml").toString();
        assertThat(err().split("\n")).containsExactly(
                f + ":4:12: error: endpoint 'timer': unknown option 'perod' (did you mean period?) (at $[0].route.from.uri)",
                f + ":8:11: error: 'lgo' is not a key of the Camel YAML DSL here (Camel YAML DSL schema) (at $[0].route.from.steps[0].lgo)",
                f + ":10:13: error: 'mesage' is not a key of the Camel YAML DSL here (Camel YAML DSL schema) (at $[0].route.from.steps[1].log.mesage)",
                f + ":11:15: error: endpoint 'log': option 'level' is 'LOUD', which is not one of [TRACE, DEBUG, INFO, WARN, ERROR, OFF] (at $[0].route.from.steps[2].to)",
                f + ":11:15: error: endpoint 'log': option 'showAll' is 'yes', which is not a boolean (true or false) (at $[0].route.from.steps[2].to)",
                f + ":12:15: error: the Camel component 'slack' is not in Caravan: add org.apache.camel:camel-slack (caravan run --dep"
                        + " org.apache.camel:camel-slack, the caravan.dependencies setting, or its jars in lib/) (at $[0].route.from.steps[3].to)",
                f + ":13:15: error: kamelet 'no-such-kamelet' does not exist: no no-such-kamelet.kamelet.yaml in ./kamelets (the home's)"
                        + " nor in the Apache Camel kamelet catalog (at $[0].route.from.steps[4].to)",
                f + ":14:15: error: kamelet 'kafka-sink' needs bootstrapServers (required by its definition, without a default): give it"
                        + " as parameters or as camel.kamelet.kafka-sink.bootstrapServers in application.properties (at $[0].route.from.steps[5].to)",
                f + ":16:21: error: placeholder {{missing.setting}} has no value: set missing.setting in the application.properties beside"
                        + " the route or in config/application.properties, or give a default as {{missing.setting:value}}"
                        + " (at $[0].route.from.steps[6].setBody.simple)",
                f + ":19:21: error: placeholder {{env:NO_SUCH_VAR_HERE}}: the environment variable NO_SUCH_VAR_HERE is not set and there"
                        + " is no default ({{env:NO_SUCH_VAR_HERE:value}}) (at $[0].route.from.steps[7].setHeader.simple)",
                f + ":27:13: error: 'otherwis' is not a key of the Camel YAML DSL here (Camel YAML DSL schema) (at $[0].route.from.steps[9].choice.otherwis)",
                f + ":31:9: error: route id 'broken' is already the id of the route at " + f + ":2; Camel would keep only one of them:"
                        + " give this route another id (at $[1].route.id)",
                f + ":38:18: error: endpoint 'kafka:out?brokers=x': give the options either in the uri (after ?) or under parameters,"
                        + " not both (at $[1].route.from.steps[0].to.uri)",
                routes.resolve("garbled.camel.yaml") + ":2:1: error: invalid YAML: expected ',' or ']', but got <stream end> (while"
                        + " parsing a flow sequence at 1:10) (at $[0].route[0])",
                "14 problems found");
    }

    @Test
    void validateAcceptsTheExampleRoutesWithTheHomesKamelets() {
        assertThat(caravan("validate", "routes")).as(err()).isEqualTo(0);
        assertThat(out()).contains("2 route files valid: ").contains("signups-welcome.camel.yaml");
    }

    @Test
    void compilePrintsTheCamelYaml() {
        assertThat(caravan("compile", "workflows/orders-kafka-to-sqs.json")).isEqualTo(0);
        assertThat(out()).contains("- route:").contains("id: orders-kafka-to-sqs")
                .contains("kafka:orders?").contains("caravan-sqs:orders-processed?");
    }

    @Test
    void unknownCommandsAndOptionsAreUsageErrors() {
        assertThat(caravan("launch")).isEqualTo(2);
        assertThat(err()).contains("unknown command 'launch'");
        assertThat(caravan("run", "--bogus")).isEqualTo(2);
        assertThat(err()).contains("unknown option '--bogus'");
    }
}
