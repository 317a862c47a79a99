package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.brokers.EmbeddedSqs;
import io.caravan.runtime.observe.Scrape;
import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * SIGTERM to a real {@code caravan run} process (the packaged jar): consumers stop taking
 * messages, runs in flight finish, and a consumed message is deleted only once its run is done.
 */
class GracefulShutdownIT {

    @TempDir
    Path home;

    @Test
    void inFlightRunsFinishAndNothingUnprocessedIsAcknowledged() throws Exception {
        EmbeddedSqs sqs = TestBrokers.sqs();
        String source = TestBrokers.unique("slow-in");
        String destination = TestBrokers.unique("slow-out");
        sqs.createQueue(source);
        sqs.createQueue(destination);
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("slow-webhook.yaml"), """
                id: slow-webhook
                nodes:
                  - {id: hook, type: webhook}
                  - {id: wait, type: delay, config: {duration: 3s}}
                  - {id: done, type: transform, config: {template: '{"done": true}'}}
                edges: [{from: hook, to: wait}, {from: wait, to: done}]
                """);
        Files.writeString(workflows.resolve("slow-queue.yaml"), """
                id: slow-queue
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %s, max_messages: 1, wait_time: 1s, credential_id: sqs}}
                  - {id: wait, type: delay, config: {duration: 3s}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %s, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: wait}, {from: wait, to: out}]
                """.formatted(source, destination));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"),
                "sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: \"" + sqs.endpoint()
                        + "\", access_key_id: x, secret_access_key: x}\n");
        int port = Ports.free();
        int managementPort = Ports.free();
        Path log = home.resolve("caravan.log");
        Process caravan = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dcaravan.home=" + home, "-jar", Path.of("runtime/target/caravan.jar").toAbsolutePath().toString(),
                "run", "--port", String.valueOf(port), "-D", "caravan.management.port=" + managementPort)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            awaitLog(log, "Caravan started");
            SqsClient client = sqs.client();
            String sourceUrl = client.getQueueUrl(b -> b.queueName(source)).queueUrl();
            client.sendMessage(b -> b.queueUrl(sourceUrl).messageBody("{\"n\": 1}"));
            // the run is in flight once the message is taken (invisible) from the source
            await(() -> attribute(client, sourceUrl, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE) == 1);

            HttpClient http = io.caravan.testing.HttpClients.http11();
            CompletableFuture<HttpResponse<String>> webhook = http.sendAsync(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/webhooks/slow-webhook"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            // the webhook run is in flight (in its delay) before the SIGTERM; a sleep was not
            // enough on a loaded machine, where the request had not reached the route yet (503)
            Map<String, String> webhookRuns = Map.of("workflow", "slow-webhook");
            assertThat(Scrape.await(managementPort, s -> Double.valueOf(1).equals(
                    s.value("caravan_messages_in_flight", webhookRuns))).value("caravan_messages_in_flight", webhookRuns))
                    .isEqualTo(1.0);

            caravan.destroy(); // SIGTERM
            // a message that arrives during shutdown is not taken
            client.sendMessage(b -> b.queueUrl(sourceUrl).messageBody("{\"n\": 2}"));

            HttpResponse<String> response = webhook.get(20, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("\"status\":\"completed\"").contains("\"done\":true");
            assertThat(caravan.waitFor(30, TimeUnit.SECONDS)).as("caravan exits after SIGTERM").isTrue();

            // the in-flight message was processed and only then deleted. The late one is either
            // untouched in the source or, when a poll already under way took it, processed in full:
            // never taken and dropped
            String destinationUrl = client.getQueueUrl(b -> b.queueName(destination)).queueUrl();
            List<String> delivered = new java.util.ArrayList<>();
            List<Message> batch;
            do {
                batch = client.receiveMessage(b -> b.queueUrl(destinationUrl).waitTimeSeconds(2).maxNumberOfMessages(10))
                        .messages();
                batch.forEach(m -> delivered.add(m.body()));
                batch.forEach(m -> client.deleteMessage(d -> d.queueUrl(destinationUrl).receiptHandle(m.receiptHandle())));
            } while (!batch.isEmpty());
            int left = attribute(client, sourceUrl, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)
                    + attribute(client, sourceUrl, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE);
            assertThat(delivered).contains("{\"n\":1}");
            if (left == 1) {
                assertThat(delivered).containsExactly("{\"n\":1}");
            } else {
                assertThat(left).isZero();
                assertThat(delivered).containsExactlyInAnyOrder("{\"n\":1}", "{\"n\":2}");
            }
            assertThat(Files.readString(log)).contains("inflight");
        } finally {
            caravan.destroyForcibly();
        }
    }

    private static int attribute(SqsClient client, String url, QueueAttributeName name) {
        Map<QueueAttributeName, String> attributes = client.getQueueAttributes(b -> b.queueUrl(url).attributeNames(name)).attributes();
        return Integer.parseInt(attributes.get(name));
    }

    private static void awaitLog(Path log, String text) throws Exception {
        await(() -> Files.exists(log) && Files.readString(log).contains(text));
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        Await.until("the condition", Duration.ofSeconds(60), condition);
    }
}
