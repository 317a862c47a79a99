package io.caravan.schema;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.caravan.Json;
import io.caravan.credential.CredentialStore;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.WorkflowSet;
import io.caravan.source.InvalidFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The committed schemas are what the specs generate, and they agree with Caravan's validator:
 * every workflow it accepts (the examples and the compiler's golden inputs) passes the schema,
 * checked by networknt's JSON Schema validator, and typos it rejects the schema rejects too.
 * Regenerate after a spec change: {@code -Dtest=JsonSchemasTest -Dcaravan.golden.update=true}.
 */
class JsonSchemasTest {

    private static final YAMLMapper YAML = new YAMLMapper();
    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
    private static final JsonSchema WORKFLOW = FACTORY.getSchema(JsonSchemas.workflow());
    private static final JsonSchema CREDENTIALS = FACTORY.getSchema(JsonSchemas.credentials());

    @Test
    void theCommittedSchemasAreWhatTheSpecsGenerate() throws Exception {
        for (var file : List.of(new String[] {JsonSchemas.WORKFLOW_FILE, JsonSchemas.workflowText()},
                new String[] {JsonSchemas.CREDENTIALS_FILE, JsonSchemas.credentialsText()})) {
            Path path = Path.of(file[0]);
            if (Boolean.getBoolean("caravan.golden.update")) {
                Files.createDirectories(path.getParent());
                Files.writeString(path, file[1]);
            }
            assertThat(path).as("the committed schema").exists();
            assertThat(Files.readString(path)).as(file[0] + " differs from the specs; regenerate it: bin/caravan schema"
                    + (file[0].contains("credentials") ? " credentials" : "") + " > " + file[0]).isEqualTo(file[1]);
        }
    }

    @Test
    void theSchemasAreValidDraft202012() {
        JsonSchema meta = FACTORY.getSchema(java.net.URI.create("https://json-schema.org/draft/2020-12/schema"));
        assertThat(meta.validate(JsonSchemas.workflow())).isEmpty();
        assertThat(meta.validate(JsonSchemas.credentials())).isEmpty();
    }

    /** The example workflows and the golden files' inputs (WorkflowCompilerTest), which the validator accepts. */
    static Stream<Path> acceptedWorkflows() throws Exception {
        List<Path> files = new ArrayList<>();
        try (Stream<Path> examples = Files.list(Path.of("workflows"))) {
            examples.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".json"))
                    .filter(p -> !io.caravan.workflow.Workflows.isOtherYaml(p.getFileName().toString())).sorted().forEach(files::add);
        }
        io.caravan.compile.WorkflowCompilerTest.workflows().filter(p -> !files.contains(p)).forEach(files::add);
        try (Stream<Path> control = Files.list(Path.of("runtime/src/test/resources/control"))) {
            control.sorted().filter(p -> !files.contains(p)).forEach(files::add);
        }
        return files.stream();
    }

    @ParameterizedTest
    @MethodSource("acceptedWorkflows")
    void aWorkflowTheValidatorAcceptsPassesTheSchema(Path file) throws Exception {
        CredentialStore credentials = WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of(".")));
        assertThat(WorkflowSet.load(List.of(file), credentials)).as("Caravan's validator accepts " + file).hasSize(1);
        assertThat(messages(WORKFLOW, read(file))).as(file + " against " + JsonSchemas.WORKFLOW_FILE).isEmpty();
    }

    @Test
    void everyExampleWorkflowNamesTheSchemaForItsEditor() throws Exception {
        try (Stream<Path> examples = Files.list(Path.of("workflows"))) {
            for (Path p : examples.filter(f -> !io.caravan.workflow.Workflows.isOtherYaml(f.getFileName().toString())).sorted().toList()) {
                String text = Files.readString(p);
                if (p.toString().endsWith(".json")) {
                    assertThat(read(p).path("$schema").asText()).as(p + " $schema").isEqualTo("../" + JsonSchemas.WORKFLOW_FILE);
                } else {
                    assertThat(text).as(p + " modeline").startsWith("# yaml-language-server: $schema=../" + JsonSchemas.WORKFLOW_FILE + "\n");
                }
            }
        }
    }

    @Test
    void theCredentialFilesPassTheirSchema() throws Exception {
        for (String file : List.of("config/credentials.yaml", "config/credentials.compose.yaml", "deploy/kubernetes/credentials.yaml")) {
            assertThat(messages(CREDENTIALS, read(Path.of(file)))).as(file).isEmpty();
        }
    }

    /** A valid workflow with one mistake each: the schema rejects every one, and so does Caravan's validator. */
    @Test
    void mistakesFailTheSchemaAndTheValidatorAlike() throws Exception {
        String valid = """
                id: relay
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: kafka, source: orders, credential_id: kafka-local, ordering: key}
                    error_handling:
                      retry: {max_attempts: 3, initial_delay: 1s}
                      dead_letter: {queue_type: sqs, destination: orders-dlq, credential_id: sqs-local}
                  - id: tick
                    type: delay
                    config: {duration: 2s}
                  - id: out
                    type: send_message
                    config: {queue_type: kafka, destination: out, message: "{{input}}", key: "{{input.id}}", credential_id: kafka-local}
                edges: [{from: in, to: tick}, {from: tick, to: out}]
                """;
        assertThat(messages(WORKFLOW, YAML.readTree(valid))).as("the valid base").isEmpty();
        assertThat(validatorProblems(valid)).as("the valid base").isEmpty();

        List<String[]> mistakes = List.of(
                new String[] {"a misspelt config key", "destination: out", "destinaton: out"},
                new String[] {"a Kafka field on an SQS send", "queue_type: kafka, destination: out", "queue_type: sqs, destination: out"},
                new String[] {"an unknown broker", "queue_type: kafka, destination: out", "queue_type: kafak, destination: out"},
                new String[] {"a duration in words", "duration: 2s", "duration: 2 seconds"},
                new String[] {"a number out of range", "max_attempts: 3", "max_attempts: 0"},
                new String[] {"a choice not offered", "ordering: key", "ordering: random"},
                new String[] {"an unknown node type", "type: delay", "type: sleep"},
                new String[] {"a required field missing", "config: {duration: 2s}", "config: {}"},
                new String[] {"a native dead letter that names a destination", "dead_letter: {queue_type",
                        "dead_letter: {native: true, queue_type"},
                new String[] {"an unknown workflow key", "id: relay", "id: relay\nowner: me"},
                new String[] {"an edge without a target", "{from: tick, to: out}", "{from: tick}"});
        for (String[] m : mistakes) {
            assertThat(valid).as(m[0]).contains(m[1]);
            String broken = valid.replace(m[1], m[2]);
            assertThat(messages(WORKFLOW, YAML.readTree(broken))).as("the schema on " + m[0]).isNotEmpty();
            assertThat(validatorProblems(broken)).as("the validator on " + m[0]).isNotEmpty();
        }
    }

    @Test
    void aScheduleTakesCronOrIntervalNotBoth() throws Exception {
        String both = """
                id: tick
                nodes:
                  - {id: every, type: schedule, config: {cron: "0 * * * * ?", interval: 5s}}
                """;
        assertThat(messages(WORKFLOW, YAML.readTree(both))).isNotEmpty();
        assertThat(messages(WORKFLOW, YAML.readTree(both.replace("cron: \"0 * * * * ?\", ", "")))).isEmpty();
    }

    @Test
    void aConditionMayWriteItsExpressionOnTheNode() throws Exception {
        String gorax = """
                id: check
                nodes:
                  - {id: in, type: webhook}
                  - {id: big, type: condition, condition: "{{input.n}} > 10", onTrue: high, onFalse: low}
                  - {id: high, type: log, config: {message: big}}
                  - {id: low, type: log, config: {message: small}}
                edges: [{from: in, to: big}, {from: big, to: high, when: true}, {from: big, to: low, when: false}]
                """;
        assertThat(messages(WORKFLOW, YAML.readTree(gorax))).isEmpty();
        assertThat(validatorProblems(gorax)).isEmpty();
        String without = gorax.replace("condition: \"{{input.n}} > 10\", ", "");
        assertThat(messages(WORKFLOW, YAML.readTree(without))).as("no expression anywhere").isNotEmpty();
        assertThat(validatorProblems(without)).as("no expression anywhere").isNotEmpty();
    }

    @Test
    void aMisspeltCredentialFieldFailsTheSchema() throws Exception {
        ObjectNode file = (ObjectNode) read(Path.of("config/credentials.yaml"));
        ((ObjectNode) file.get("kafka-local")).put("consumer_grup", "x");
        assertThat(messages(CREDENTIALS, file)).isNotEmpty();
        ((ObjectNode) file.get("kafka-local")).remove("consumer_grup");
        ((ObjectNode) file.get("kafka-local")).put("sasl_mechanism", "${KAFKA_SASL}");
        assertThat(messages(CREDENTIALS, file)).as("a choice read from the environment").isEmpty();
        ((ObjectNode) file.get("kafka-local")).put("sasl_mechanism", "MD5");
        assertThat(messages(CREDENTIALS, file)).isNotEmpty();
    }

    private static List<String> validatorProblems(String yaml) throws Exception {
        Path dir = Files.createTempDirectory("schema-test");
        Path file = dir.resolve("w.yaml");
        Files.writeString(file, yaml);
        try {
            WorkflowSet.load(List.of(file), WorkflowSet.loadCredentials(RuntimeOptions.defaults(Path.of("."))));
            return List.of();
        } catch (InvalidFileException e) {
            return e.diagnostics().stream().map(Object::toString).toList();
        } finally {
            Files.delete(file);
            Files.delete(dir);
        }
    }

    private static JsonNode read(Path file) throws Exception {
        return file.toString().endsWith(".json") ? Json.MAPPER.readTree(file.toFile()) : YAML.readTree(file.toFile());
    }

    private static List<String> messages(JsonSchema schema, JsonNode doc) {
        Set<ValidationMessage> found = schema.validate(doc);
        return found.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.toList());
    }
}
