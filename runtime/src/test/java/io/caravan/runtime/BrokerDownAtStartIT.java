package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.brokers.EmbeddedSqs;
import io.caravan.testing.LogCapture;
import io.caravan.testing.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * A broker that is down when Caravan starts: Caravan starts anyway (the other workflows run),
 * logs CONNECTION_FAILED with the broker's address, and starts the waiting workflow by itself
 * once the broker answers.
 */
class BrokerDownAtStartIT {

    @TempDir
    Path home;

    /** /ready once it answers {@code status} with {@code text} in its body (bounded: the probe runs on its interval). */
    private static HttpResponse<String> awaitReady(CaravanRuntime runtime, int status, String text) throws Exception {
        HttpClient client = io.caravan.testing.HttpClients.http11();
        HttpResponse<String> r = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + runtime.managementPort() + "/ready"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == status && r.body().contains(text)) {
                return r;
            }
            Thread.sleep(300);
        }
        throw new AssertionError("/ready never answered " + status + "; last: " + (r == null ? null : r.body()));
    }

    @Test
    void startsLogsConnectionFailedAndRecoversWhenTheBrokerComesUp() throws Exception {
        int sqsPort = Ports.free();
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), "sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "
                + "\"http://127.0.0.1:" + sqsPort + "\", access_key_id: x, secret_access_key: x}\n");
        Files.writeString(workflows.resolve("late.yaml"), """
                id: late
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: late-in, wait_time: 1s, credential_id: sqs}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: late-out, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: out}]
                """);
        Files.writeString(workflows.resolve("hook.yaml"), """
                id: hook
                nodes:
                  - {id: in, type: webhook}
                edges: []
                """);
        try (LogCapture logs = LogCapture.begin();
             CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                     "caravan.http.port", String.valueOf(Ports.free()),
                     "caravan.management.port", String.valueOf(Ports.free()),
                     "caravan.metrics.depth-interval", "1s"))).start()) {
            assertThat(runtime.deployer().waiting()).containsExactly("late");
            assertThat(runtime.deployer().workflow("hook")).as("the other workflow runs").isPresent();
            assertThat(logs.text()).contains("CONNECTION_FAILED").contains("127.0.0.1:" + sqsPort);
            HttpResponse<String> ready = awaitReady(runtime, 503, "workflow 'late'");
            assertThat(ready.body()).contains("127.0.0.1:" + sqsPort);

            try (EmbeddedSqs sqs = EmbeddedSqs.start(sqsPort)) {
                sqs.createQueue("late-in");
                sqs.createQueue("late-out");
                long deadline = System.currentTimeMillis() + 60_000;
                while (!runtime.deployer().waiting().isEmpty() && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                }
                assertThat(runtime.deployer().waiting()).as("started by itself once SQS answered").isEmpty();
                SqsClient client = sqs.client();
                String in = client.getQueueUrl(b -> b.queueName("late-in")).queueUrl();
                String out = client.getQueueUrl(b -> b.queueName("late-out")).queueUrl();
                client.sendMessage(b -> b.queueUrl(in).messageBody("{\"n\": 1}"));
                List<Message> got = List.of();
                while (got.isEmpty() && System.currentTimeMillis() < deadline) {
                    got = client.receiveMessage(b -> b.queueUrl(out).waitTimeSeconds(1)).messages();
                }
                assertThat(got).extracting(Message::body).containsExactly("{\"n\":1}");
                awaitReady(runtime, 200, "");
            }
        }
    }
}
