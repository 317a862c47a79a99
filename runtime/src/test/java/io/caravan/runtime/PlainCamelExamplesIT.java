package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.camel.CredentialBeans;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.camel.main.Main;

/**
 * The round trip: {@code caravan compile workflows/} (the packaged jar, as a user runs it) prints
 * Camel YAML, and a plain camel-main, with Caravan's jar on its class path but none of Caravan's
 * runtime, loads that file beside the hand-written routes/ and runs the examples: the same
 * messages give the same results as under Caravan's runtime ({@link ExampleScenarios}). What the
 * routes need from outside is what any Camel user gives: the credentials file (a property names
 * it) and the settings in config/application.properties.
 */
class PlainCamelExamplesIT extends ExampleScenarios {

    private EmbeddedKafka ownKafka;
    private EmbeddedSqs ownSqs;
    private Main main;

    @Override
    EmbeddedKafka kafka() {
        // brokers of its own: nothing the runtime's run of the examples left is read here
        ownKafka = EmbeddedKafka.start(0);
        return ownKafka;
    }

    @Override
    EmbeddedSqs sqs() {
        ownSqs = EmbeddedSqs.start(0);
        return ownSqs;
    }

    @Override
    void startHub(Path credentials) throws Exception {
        // outside Caravan's runtime there is no environment reference to resolve in the test's JVM
        Path plainCredentials = config.resolve("plain-credentials.yaml");
        Files.writeString(plainCredentials, Files.readString(credentials).replace("\"${CARAVAN_IT_SECRET}\"", "x"));
        Path routes = config.resolve("workflows.camel.yaml");
        Process compile = new ProcessBuilder("java", "-jar", Path.of("runtime/target/caravan.jar").toAbsolutePath().toString(),
                "compile", "--credentials", plainCredentials.toString(), "workflows")
                .redirectOutput(routes.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertThat(compile.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(compile.exitValue()).as("caravan compile workflows").isZero();
        String yaml = Files.readString(routes);
        assertThat(yaml).contains("split:", "multicast:", "doTry:", "choice:")
                .doesNotContain("ref: caravan.", "circuitBreaker: caravan.").doesNotContain("secret_access_key");

        Properties settings = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("config/application.properties"))) {
            settings.load(in);
        }
        settings.keySet().removeIf(k -> !k.toString().startsWith("examples."));
        settings.setProperty("examples.kafka.brokers", kafka.bootstrapServers());
        settings.setProperty("examples.sqs.endpoint", sqs.endpoint());
        settings.setProperty(CredentialBeans.PROPERTY, plainCredentials.toString());
        // the compiled schedule (master:...) gets its cluster service from Caravan's ClusterServicePlugin
        settings.setProperty("caravan.cluster.root", config.resolve("cluster").toString());
        settings.setProperty("camel.main.routesIncludePattern", "file:" + routes + ",file:"
                + Path.of("routes/signups-welcome.camel.yaml").toAbsolutePath());
        settings.setProperty("camel.component.kamelet.location", "file:" + Path.of("kamelets").toAbsolutePath()
                + ",classpath:kamelets");
        settings.setProperty("camel.server.enabled", "true");
        settings.setProperty("camel.server.port", String.valueOf(port));
        settings.setProperty("camel.server.host", "127.0.0.1");
        main = new Main();
        main.setInitialProperties(settings);
        main.start();
        assertThat(main.getCamelContext().getRoutes()).as("the compiled workflows' routes and the hand-written one")
                .hasSizeGreaterThan(8);
        List<String> ids = main.getCamelContext().getRoutes().stream().map(org.apache.camel.Route::getId).toList();
        assertThat(ids).contains("orders-kafka-to-sqs", "audit-to-redis", "shipments-webhook-fan-out", "signups-welcome");
    }

    @Override
    void stopHub() throws IOException {
        if (main != null) {
            main.stop();
        }
        if (ownKafka != null) {
            ownKafka.close();
        }
        if (ownSqs != null) {
            ownSqs.close();
        }
    }
}
