package io.caravan.binding.rabbitmq;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.GetResponse;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A send to a RabbitMQ queue nobody declared yet is not dropped: RabbitMQ discards a message
 * published to a queue that does not exist, so Caravan declares the queue (durable, as its
 * consumers do) before it sends.
 */
class RabbitMqMissingQueueIT {

    @TempDir
    Path home;

    @Test
    void aSendToAQueueThatDoesNotExistYetIsKept() throws Exception {
        TestBrokers.requireRabbitMq();
        sendsThrough(TestBrokers.unique("undeclared"));
    }

    @Test
    void anOperatorsQueueWithOtherArgumentsIsLeftAsItIs() throws Exception {
        TestBrokers.requireRabbitMq();
        String queue = TestBrokers.unique("operators");
        try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
            // declaring it again with other arguments would fail with PRECONDITION_FAILED
            ch.queueDeclare(queue, true, false, false, Map.of("x-max-length", 1000));
        }
        sendsThrough(queue);
    }

    private void sendsThrough(String queue) throws Exception {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"),
                "rabbit: {type: queue_rabbitmq, url: \"" + TestBrokers.RABBITMQ_URL + "\"}\n");
        Files.writeString(workflows.resolve("send.yaml"), """
                id: send-undeclared
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: %s, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: hook, to: out}]
                """.formatted(queue));
        int port = Ports.free();
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/webhooks/send-undeclared"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            GetResponse got = BrokerClients.rabbitGet(queue);
            assertThat(new String(got.getBody(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        } finally {
            BrokerClients.rabbitDelete(queue);
        }
    }
}
