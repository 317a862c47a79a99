package io.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.LogCapture;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, point 2: a virtual host that does not exist is named, once. {@code validate} asks
 * the broker when it answers and reports it at the credential; at start the workflow waits and
 * the log says why once, not every retry, without amqp-client's "unexpected connection driver
 * error" lines. The seed's URL form (a trailing slash) is the default vhost and validates.
 */
class RabbitMqVirtualHostIT {

    @TempDir
    Path home;

    private final String vhost = TestBrokers.unique("no-such-vhost");

    @Test
    void validateNamesAVirtualHostThatDoesNotExistAtItsCredential() throws Exception {
        TestBrokers.requireRabbitMq();
        Path credentials = writeHome(TestBrokers.RABBITMQ_URL + "/" + vhost);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Caravan(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), home)
                .execute(new String[] {"validate", "--credentials", credentials.toString(), home.resolve("workflows").toString()});
        String said = err.toString(StandardCharsets.UTF_8);
        assertThat(code).as(said).isEqualTo(1);
        assertThat(said).contains(credentials + ":1:1: error: CONNECTION_FAILED: credential 'rabbit': rabbitmq at"
                + " 127.0.0.1:5672 refused virtual host '" + vhost + "': NOT_ALLOWED - vhost " + vhost + " not found")
                .doesNotContain("guest:guest");

        // the seed's own form: amqp://guest:guest@host:5672/ is the default vhost "/", which exists
        writeHome(TestBrokers.RABBITMQ_URL + "/");
        out.reset();
        err.reset();
        code = new Caravan(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), home)
                .execute(new String[] {"validate", "--credentials", credentials.toString(), home.resolve("workflows").toString()});
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(0);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("1 workflow valid: relay");
    }

    @Test
    void aWorkflowOnAMissingVirtualHostWaitsAndSaysWhyOnce() throws Exception {
        TestBrokers.requireRabbitMq();
        writeHome(TestBrokers.RABBITMQ_URL + "/" + vhost);
        try (LogCapture log = LogCapture.begin();
             CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                     "caravan.http.port", String.valueOf(Ports.free()),
                     "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            assertThat(runtime.deployer().waiting()).containsExactly("relay");
            // retries come 2 s and then 4 s more after the start: both have failed the same way by 7 s
            Thread.sleep(7_000);
            assertThat(runtime.deployer().waiting()).containsExactly("relay");
            String text = log.text();
            assertThat(count(text, "refused virtual host '" + vhost + "'")).as(text).isEqualTo(1);
            assertThat(text).doesNotContain("unexpected connection driver error");
        }
    }

    private Path writeHome(String url) throws Exception {
        Files.createDirectories(home.resolve("config"));
        Path credentials = home.resolve("config/credentials.yaml");
        Files.writeString(credentials, "rabbit: {type: queue_rabbitmq, url: \"" + url + "\"}\n");
        Files.writeString(Files.createDirectories(home.resolve("workflows")).resolve("relay.yaml"), """
                id: relay
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, source: vh-in, credential_id: rabbit}}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: vh-out, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: in, to: out}]
                """);
        return credentials;
    }

    private static int count(String text, String part) {
        Matcher m = Pattern.compile(Pattern.quote(part)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
