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
import java.time.Duration;
import java.util.Map;
import io.caravan.testing.Await;
import io.caravan.runtime.observe.Scrape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RabbitMQ discards a message published to a queue that does not exist. A send to a queue nobody
 * declared yet is kept (Caravan declares it, durable, before its first send), and a send whose
 * queue or binding disappeared while Caravan runs fails with QUEUE_NOT_FOUND instead of being
 * counted as sent: error handling applies, and the source message goes to its dead letter.
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

    /**
     * Issue 12, point 1: a destination deleted under a running workflow swallowed messages. The
     * send now fails with QUEUE_NOT_FOUND, is not counted as sent, and the source message goes to
     * its dead letter (the queue's default, {@code <source>.dlq}) with the reason.
     */
    @Test
    void aQueueDeletedWhileRunningFailsTheSendAndTheMessageIsDeadLettered() throws Exception {
        TestBrokers.requireRabbitMq();
        String source = TestBrokers.unique("relay-in");
        String destination = TestBrokers.unique("relay-out");
        BrokerClients.rabbitDeclare(source);
        BrokerClients.rabbitDeclare(destination);
        // the seed's own URL form: a trailing slash is the default vhost "/" (issue 12, point 2)
        writeHome(TestBrokers.RABBITMQ_URL + "/", """
                id: relay
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, source: %s, credential_id: rabbit}}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: %s, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: in, to: out}]
                """.formatted(source, destination));
        try (CaravanRuntime runtime = start()) {
            publish(source, "{\"n\": 1}");
            assertThat(body(BrokerClients.rabbitGet(destination))).isEqualTo("{\"n\":1}");
            double sentBefore = sent(runtime);

            BrokerClients.rabbitDelete(destination);
            publish(source, "{\"n\": 2}");
            // the default dead letter is declared by the first message it takes: wait for it to exist
            Await.until(source + ".dlq exists", Duration.ofSeconds(20), () -> queueExists(source + ".dlq"));
            GetResponse letter = BrokerClients.rabbitGet(source + ".dlq");
            assertThat(body(letter)).isEqualTo("{\"n\": 2}");
            assertThat(letter.getProps().getHeaders().get("caravan-error-code").toString()).isEqualTo("QUEUE_NOT_FOUND");
            assertThat(letter.getProps().getHeaders().get("caravan-error-message").toString())
                    .contains("routing key '" + destination + "'");
            assertThat(failed(runtime, "QUEUE_NOT_FOUND")).isEqualTo(1.0);
            assertThat(sent(runtime)).as("a returned message is not counted as sent").isEqualTo(sentBefore);
        } finally {
            BrokerClients.rabbitDelete(source, destination, source + ".dlq");
        }
    }

    @Test
    void anExchangeWhoseBindingWasRemovedFailsTheSend() throws Exception {
        TestBrokers.requireRabbitMq();
        String exchange = TestBrokers.unique("orders-ex");
        String queue = TestBrokers.unique("orders-bound");
        try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
            ch.exchangeDeclare(exchange, "direct", true);
            ch.queueDeclare(queue, true, false, false, null);
            ch.queueBind(queue, exchange, "new");
        }
        writeHome(TestBrokers.RABBITMQ_URL, """
                id: send-exchange
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, exchange: %s, routing_key: new, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: hook, to: out}]
                """.formatted(exchange));
        try (CaravanRuntime runtime = start()) {
            assertThat(post(runtime, "send-exchange").statusCode()).isEqualTo(200);
            try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
                ch.queueUnbind(queue, exchange, "new");
            }
            HttpResponse<String> failed = post(runtime, "send-exchange");
            assertThat(failed.statusCode()).isEqualTo(502);
            assertThat(failed.body()).contains("QUEUE_NOT_FOUND", "exchange '" + exchange + "'", "routing key 'new'");
        } finally {
            BrokerClients.rabbitDelete(queue);
            try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
                ch.exchangeDelete(exchange);
            }
        }
    }

    private void sendsThrough(String queue) throws Exception {
        writeHome(TestBrokers.RABBITMQ_URL, """
                id: send-undeclared
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: %s, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: hook, to: out}]
                """.formatted(queue));
        try (CaravanRuntime runtime = start()) {
            HttpResponse<String> response = post(runtime, "send-undeclared");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(body(BrokerClients.rabbitGet(queue))).isEqualTo("{\"n\":1}");
        } finally {
            BrokerClients.rabbitDelete(queue);
        }
    }

    private void writeHome(String url, String workflow) throws Exception {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), "rabbit: {type: queue_rabbitmq, url: \"" + url + "\"}\n");
        Files.writeString(workflows.resolve("workflow.yaml"), workflow);
    }

    private CaravanRuntime start() throws Exception {
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()), "caravan.management.port", String.valueOf(Ports.free()))))
                .start();
    }

    private static HttpResponse<String> post(CaravanRuntime runtime, String workflow) throws Exception {
        return io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + "/webhooks/" + workflow))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"n\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void publish(String queue, String body) throws Exception {
        try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
            ch.basicPublish("", queue, null, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static boolean queueExists(String queue) {
        try (var c = BrokerClients.rabbit(); var ch = c.createChannel()) {
            ch.queueDeclarePassive(queue);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static String body(GetResponse got) {
        return new String(got.getBody(), StandardCharsets.UTF_8);
    }

    private static double sent(CaravanRuntime runtime) throws Exception {
        Double v = Scrape.of(runtime.managementPort()).value("caravan_messages_sent_total", Map.of("workflow", "relay"));
        return v == null ? 0 : v;
    }

    private static double failed(CaravanRuntime runtime, String code) throws Exception {
        Double v = Scrape.of(runtime.managementPort()).value("caravan_messages_failed_total",
                Map.of("workflow", "relay", "code", code));
        return v == null ? 0 : v;
    }
}
