package io.caravan.kamelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The kamelets Caravan ships follow the kamelet catalog's conventions, and the checker that
 * says so does catch each kind of mistake (proved on a deliberately broken kamelet).
 */
class KameletConventionsTest {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path SHIPPED = Path.of("kamelets");
    private static final Path BROKEN = Path.of("runtime/src/test/resources/kamelets-broken/caravan-broken-source.kamelet.yaml");

    @Test
    void everyShippedKameletFollowsTheConventions() throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(SHIPPED)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".kamelet.yaml")).sorted().toList();
        }
        // a source and a sink for every broker
        assertThat(files).extracting(f -> f.getFileName().toString()).containsExactlyInAnyOrderElementsOf(
                io.caravan.binding.Bindings.queueTypes().stream().flatMap(q -> Stream.of(
                        "caravan-" + q + "-sink.kamelet.yaml", "caravan-" + q + "-source.kamelet.yaml")).toList());
        List<String> problems = new ArrayList<>();
        for (Path f : files) {
            problems.addAll(KameletConventions.check(f));
        }
        assertThat(problems).as(String.join("\n", problems)).isEmpty();
    }

    @Test
    void theCheckerCatchesEachRuleOnABrokenKamelet() throws Exception {
        assertThat(KameletConventions.check(BROKEN)).containsExactly(
                "file name caravan-broken-source.kamelet.yaml does not match metadata.name caravan-broke-source",
                "caravan-broke-source: spec.definition has no description",
                "caravan-broke-source: required parameter 'queue' is not among the properties",
                "caravan-broke-source: property 'topic' has no title",
                "caravan-broke-source: property 'apiToken' looks secret but has no format: password",
                "caravan-broke-source: property 'apiToken' looks secret but has no x-descriptors urn:camel:group:credentials",
                "caravan-broke-source: property 'verbose' has no description",
                "caravan-broke-source: property 'verbose' is boolean but its default \"yes\" is not",
                "caravan-broke-source: spec.dependencies does not list camel:kamelet",
                "caravan-broke-source: template uses {{brokers}} which is not declared",
                "caravan-broke-source: parameter verbose is declared but never used in the template",
                "caravan-broke-source: a source must removeHeaders (Camel*, kafka.*) before kamelet:sink;"
                        + " otherwise broker control headers reach the next producer");
    }

    @Test
    void aSinkMustStartFromKameletSource() throws Exception {
        assertThat(checkEdited("caravan-kafka-sink", "uri: \"kamelet:source\"", "uri: \"timer:tick\"")).containsExactly(
                "caravan-kafka-sink: a sink's template must start from kamelet:source, not 'timer:tick'");
    }

    @Test
    void theTypeLabelMustBeSourceSinkOrAction() throws Exception {
        assertThat(checkEdited("caravan-sqs-sink", "kamelet.type: \"sink\"", "kamelet.type: \"output\"")).containsExactly(
                "caravan-sqs-sink: label camel.apache.org/kamelet.type is 'output'; valid: source, sink, action");
    }

    @Test
    void aSecretMustNotHaveADefault() throws Exception {
        assertThat(checkEdited("caravan-rabbitmq-sink", "format: password", "format: password\n        default: guest"))
                .containsExactly("caravan-rabbitmq-sink: property 'password' looks secret but has a default");
    }

    /** A shipped kamelet with one text replaced, checked under its own file name. */
    private static List<String> checkEdited(String name, String from, String to) throws Exception {
        String yaml = Files.readString(SHIPPED.resolve(name + ".kamelet.yaml"));
        assertThat(yaml).contains(from);
        return KameletConventions.check(name + ".kamelet.yaml", YAML.readTree(yaml.replace(from, to)));
    }
}
