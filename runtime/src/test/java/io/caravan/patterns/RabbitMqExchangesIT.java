package io.caravan.patterns;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publish-subscribe on RabbitMQ: a receive_message with an {@code exchange} and no {@code source}
 * reads a durable queue of its own ({@code <exchange>.<workflow id>}) bound to the exchange, so
 * every workflow gets a copy; fanout, topic ({@code binding_key} patterns) and headers exchanges
 * are declared by Caravan when missing. Messages are published by the plain amqp-client.
 */
class RabbitMqExchangesIT {

    @TempDir
    static Path home;

    @BeforeAll
    static void rabbit() {
        TestBrokers.requireRabbitMq();
    }

    @Test
    void eachWorkflowBoundToAnExchangeGetsItsOwnCopyAsItsBindingSays() throws Exception {
        String fanout = TestBrokers.unique("fan");
        String topic = TestBrokers.unique("topic");
        String headers = TestBrokers.unique("hdr");
        String out = TestBrokers.unique("out");
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        for (String id : List.of("audit", "billing")) {
            relay(workflows, id, "{queue_type: rabbitmq, exchange: " + fanout + ", exchange_type: fanout, credential_id: rabbit}", out);
        }
        relay(workflows, "created", "{queue_type: rabbitmq, exchange: " + topic + ", exchange_type: topic,"
                + " binding_key: \"orders.*.created\", credential_id: rabbit}", out);
        relay(workflows, "eu", "{queue_type: rabbitmq, exchange: " + headers + ", exchange_type: headers,"
                + " binding_headers: {region: eu}, credential_id: rabbit}", out);
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "rabbit: {type: queue_rabbitmq, url: \"" + TestBrokers.RABBITMQ_URL + "\"}\n");

        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(TestBrokers.RABBITMQ_URL);
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials)
                .withProperties(Map.of("caravan.http.port", String.valueOf(Ports.free()),
                        "caravan.management.port", String.valueOf(Ports.free())))).start();
             Connection connection = factory.newConnection(); Channel ch = connection.createChannel()) {
            ch.queueDeclare(out, true, false, false, null);
            // Caravan declared the exchanges and each workflow's durable queue, named <exchange>.<workflow id>
            for (String queue : List.of(fanout + ".audit", fanout + ".billing", topic + ".created", headers + ".eu")) {
                assertThat(ch.queueDeclarePassive(queue).getConsumerCount()).as(queue).isEqualTo(1);
            }
            for (int i = 0; i < 50; i++) {
                ch.basicPublish(fanout, "", null, ("{\"n\": " + i + "}").getBytes(StandardCharsets.UTF_8));
            }
            for (String key : List.of("orders.eu.created", "orders.eu.paid", "orders.us.created", "orders.a.b.created")) {
                ch.basicPublish(topic, key, null, ("{\"n\": \"" + key + "\"}").getBytes(StandardCharsets.UTF_8));
            }
            for (String region : List.of("eu", "us")) {
                ch.basicPublish(headers, "", new AMQP.BasicProperties.Builder().headers(Map.of("region", region)).build(),
                        ("{\"n\": \"" + region + "\"}").getBytes(StandardCharsets.UTF_8));
            }
            List<String> got = new ArrayList<>();
            Await.until("103 relayed messages", Duration.ofSeconds(30), () -> {
                GetResponse r;
                while ((r = ch.basicGet(out, true)) != null) {
                    got.add(new String(r.getBody(), StandardCharsets.UTF_8));
                }
                return got.size() >= 103;
            });
            Thread.sleep(500);
            GetResponse extra;
            while ((extra = ch.basicGet(out, true)) != null) {
                got.add(new String(extra.getBody(), StandardCharsets.UTF_8));
            }
            for (int i = 0; i < 50; i++) {
                String n = String.valueOf(i);
                assertThat(got).as("fanout message " + i + " to audit and to billing")
                        .contains("audit:" + n, "billing:" + n);
            }
            assertThat(got).filteredOn(s -> s.startsWith("created:"))
                    .containsExactlyInAnyOrder("created:orders.eu.created", "created:orders.us.created");
            assertThat(got).filteredOn(s -> s.startsWith("eu:")).containsExactly("eu:eu");
            assertThat(got).hasSize(103);
        } finally {
            try (Connection connection = factory.newConnection(); Channel ch = connection.createChannel()) {
                for (String queue : List.of(fanout + ".audit", fanout + ".billing", topic + ".created", headers + ".eu", out)) {
                    ch.queueDelete(queue);
                }
                for (String exchange : List.of(fanout, topic, headers)) {
                    ch.exchangeDelete(exchange);
                }
            }
        }
    }

    /** Workflow {@code id}: receive with {@code receive} -> send "id:n" to queue {@code out}. */
    private static void relay(Path workflows, String id, String receive, String out) throws Exception {
        Files.writeString(workflows.resolve(id + ".yaml"), """
                id: %s
                nodes:
                  - {id: in, type: receive_message, config: %s}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: %s, credential_id: rabbit, message: "%s:{{input.n}}"}}
                edges: [{from: in, to: out}]
                """.formatted(id, receive, out, id));
    }
}
