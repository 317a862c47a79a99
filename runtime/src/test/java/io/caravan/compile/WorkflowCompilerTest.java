package io.caravan.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.credential.CredentialStore;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.WorkflowSet;
import io.caravan.workflow.Workflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files: each example workflow and the Camel YAML it compiles to, kept in
 * runtime/src/test/resources/golden/&lt;workflow-id&gt;.camel.yaml. After a deliberate change to the
 * compiler, regenerate them with {@code ./mvnw test -Dtest=WorkflowCompilerTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dcaravan.golden.update=true}
 * and read the diff.
 */
public class WorkflowCompilerTest {

    static final Path GOLDEN = Path.of("runtime/src/test/resources/golden");

    public static Stream<Path> workflows() {
        return Stream.of(Path.of("workflows/orders-kafka-to-sqs.json"),
                Path.of("workflows/payments-webhook-to-rabbitmq.yaml"),
                Path.of("workflows/events-sqs-to-kafka.yaml"),
                Path.of("workflows/signups-webhook-to-kafka.yaml"),
                Path.of("runtime/src/test/resources/runtime/route-order.yaml"),
                Path.of("runtime/src/test/resources/control/lookup-each-4.yaml"),
                Path.of("runtime/src/test/resources/control/fallback-on-error.yaml"),
                Path.of("runtime/src/test/resources/control/fan-out.yaml"),
                Path.of("runtime/src/test/resources/control/race.yaml"),
                Path.of("runtime/src/test/resources/control/calls-middle.yaml"),
                Path.of("runtime/src/test/resources/control/calls-async.yaml"));
    }

    @ParameterizedTest
    @MethodSource("workflows")
    void compilesToTheGoldenYaml(Path file) throws Exception {
        CredentialStore credentials = WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of(".")));
        Workflow workflow = WorkflowSet.load(List.of(file), credentials).get(0);
        String yaml = YamlPrinter.print(List.of(WorkflowCompiler.standard().compile(workflow)));
        Path golden = GOLDEN.resolve(workflow.id() + ".camel.yaml");
        if (Boolean.getBoolean("caravan.golden.update")) {
            Files.writeString(golden, yaml);
        }
        assertThat(golden).as("golden file for " + file + " (see class comment to regenerate)").exists();
        assertThat(yaml).isEqualTo(Files.readString(golden));
    }

    @ParameterizedTest
    @MethodSource("workflows")
    void namesTheRouteAndStepsAfterTheWorkflow(Path file) throws Exception {
        CredentialStore credentials = WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of(".")));
        Workflow workflow = WorkflowSet.load(List.of(file), credentials).get(0);
        String yaml = YamlPrinter.print(List.of(WorkflowCompiler.standard().compile(workflow)));
        assertThat(yaml).contains("id: " + workflow.id()).contains("group: " + workflow.id());
        workflow.nodes().forEach(n -> assertThat(yaml).contains("id: " + workflow.id() + "." + n.id()));
        // credentials are referenced by bean name, never inlined
        assertThat(yaml).doesNotContain("guest:guest").doesNotContain("secret_access_key");
    }

    /**
     * A Redis, SQS or RabbitMQ trigger runs on the consumer's thread (inline=true) only when no
     * step of the workflow waits on its thread; an http step, or a node that sets threads, keeps
     * the worker threads; Kafka always keeps them.
     */
    @org.junit.jupiter.api.Test
    void onlyAWorkflowWithoutABlockingStepRunsOnTheConsumersThread(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String relay = """
                id: relay
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: %s, source: in, credential_id: %s%s}}
                  - {id: check, type: log, config: {message: "relaying {{input.id}}"}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: out, message: "{{input}}", credential_id: sqs-local}}
                edges: [{from: in, to: check}, {from: check, to: out}]
                """;
        String lookup = relay.replace("{id: check, type: log, config: {message: \"relaying {{input.id}}\"}}",
                "{id: check, type: http, config: {url: \"http://127.0.0.1:1/{{input.id}}\"}}");
        assertThat(lookup).contains("type: http");
        assertThat(consumerUri(dir, relay.formatted("redis", "redis-local", ""))).endsWith("&inline=true");
        assertThat(consumerUri(dir, relay.formatted("sqs", "sqs-local", ""))).endsWith("&inline=true");
        assertThat(consumerUri(dir, relay.formatted("rabbitmq", "rabbitmq-local", ""))).endsWith("&inline=true");
        assertThat(consumerUri(dir, lookup.formatted("redis", "redis-local", ""))).doesNotContain("inline");
        assertThat(consumerUri(dir, relay.formatted("redis", "redis-local", ", threads: 4"))).doesNotContain("inline")
                .contains("&threads=4");
        assertThat(consumerUri(dir, relay.formatted("kafka", "kafka-local", ""))).doesNotContain("inline");
    }

    private static String consumerUri(Path dir, String yaml) throws Exception {
        Path file = dir.resolve("relay.yaml");
        Files.writeString(file, yaml);
        CredentialStore credentials = WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of(".")));
        Workflow workflow = WorkflowSet.load(List.of(file), credentials).get(0);
        String printed = YamlPrinter.print(List.of(WorkflowCompiler.standard().compile(workflow)));
        return printed.lines().filter(l -> l.strip().startsWith("uri: caravan-")).findFirst().orElseThrow().strip();
    }

    /**
     * A schedule's payload is a literal, not a template: one holding what Camel would read as a
     * property placeholder, or text that would end a RAW() value, reaches the run unchanged.
     */
    @org.junit.jupiter.api.Test
    void aSchedulePayloadReachesTheRunAsWritten(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        for (String payload : List.of("{\"n\": 1, \"tag\": \"plain & simple\"}",
                "{\"text\": \"{{not.a.placeholder}} (and a paren) & été\"}")) {
            Path file = dir.resolve("tick.yaml");
            Files.writeString(file, """
                    id: tick
                    nodes:
                      - id: every
                        type: schedule
                        config: {interval: 1h, payload: %s}
                      - id: note
                        type: log
                        config: {message: "{{input}}"}
                    edges:
                      - {from: every, to: note}
                    """.formatted(payload));
            Workflow workflow = WorkflowSet.load(List.of(file), CredentialStore.empty()).get(0);
            String uri = WorkflowCompiler.standard().compile(workflow).route().getOutputs().stream()
                    .filter(o -> o instanceof org.apache.camel.model.ToDefinition)
                    .map(o -> ((org.apache.camel.model.ToDefinition) o).getUri())
                    .filter(u -> u.startsWith("caravan:schedule/")).findFirst().orElseThrow();
            try (var context = new org.apache.camel.impl.DefaultCamelContext()) {
                context.start();
                var exchange = new org.apache.camel.support.DefaultExchange(context);
                context.getEndpoint(uri).createProducer().process(exchange);
                Object input = Runs.of(exchange).root(io.caravan.template.RunContext.INPUT);
                assertThat(io.caravan.Json.write(input)).as(uri).isEqualTo(io.caravan.Json.write(io.caravan.Json.parseIfJson(payload)));
            }
        }
    }
    /**
     * A schedule fires on the instance that leads its cluster namespace: its consumer is
     * camel-master's around the timer, in a namespace a Lease and a file name can hold, one per id.
     */
    @org.junit.jupiter.api.Test
    void aScheduleFiresOnlyWhereItLeadsItsOwnClusterNamespace(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        java.util.Map<String, String> uris = new java.util.LinkedHashMap<>();
        for (String id : List.of("tick", "Tick_1", "tick-1")) {
            Path file = dir.resolve(id + ".yaml");
            Files.writeString(file, """
                    id: %s
                    nodes:
                      - {id: every, type: schedule, config: {interval: 1s}}
                      - {id: note, type: log, config: {message: tick}}
                    edges:
                      - {from: every, to: note}
                    """.formatted(id));
            Workflow workflow = WorkflowSet.load(List.of(file), CredentialStore.empty()).get(0);
            uris.put(id, WorkflowCompiler.standard().compile(workflow).route().getInput().getEndpointUri());
        }
        assertThat(uris.get("tick")).isEqualTo("master:schedule-tick:timer:tick?period=1000");
        assertThat(uris.get("tick-1")).startsWith("master:schedule-tick-1:timer:tick-1?");
        String upper = uris.get("Tick_1");
        assertThat(upper).matches("master:schedule-tick-1-[0-9a-f]+:timer:Tick_1\\?period=1000");
        assertThat(uris.values().stream().map(u -> u.split(":")[1]).distinct()).hasSize(3);
    }
}
