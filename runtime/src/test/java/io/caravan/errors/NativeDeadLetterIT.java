package io.caravan.errors;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * {@code dead_letter: {native: true}}: a failed run reaches the broker as a failure, and the
 * broker's own mechanism moves the message: SQS's redrive policy after maxReceiveCount, and
 * RabbitMQ's dead-letter exchange when the message is rejected without requeue.
 */
class NativeDeadLetterIT {

    @TempDir
    Path home;

    static String workflow(String id, String queueType, String source, String credential) {
        return """
                id: %s
                error_handling:
                  dead_letter: {native: true}
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: %s, source: %s, wait_time: 1s, credential_id: %s}}
                  - {id: use, type: transform, config: {template: '{"id": "{{input.id}}"}'}}
                edges: [{from: in, to: use}]
                """.formatted(id, queueType, source, credential);
    }

    @Test
    void sqsRedrivesAFailingMessageToTheQueuesOwnDeadLetterQueue() throws Exception {
        String source = TestBrokers.unique("native-in");
        String dlq = TestBrokers.unique("native-dlq");
        try (SqsClient client = TestBrokers.sqs().client()) {
            String dlqUrl = client.createQueue(b -> b.queueName(dlq)).queueUrl();
            String dlqArn = client.getQueueAttributes(b -> b.queueUrl(dlqUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                    .attributes().get(QueueAttributeName.QUEUE_ARN);
            String sourceUrl = client.createQueue(b -> b.queueName(source).attributes(Map.of(
                    QueueAttributeName.VISIBILITY_TIMEOUT, "1",
                    QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"2\"}")))
                    .queueUrl();
            start("sqs", source, () -> {
                client.sendMessage(b -> b.queueUrl(sourceUrl).messageBody("no id here"));
                Message moved = BrokerClients.sqsReceiveOne(dlq);
                assertThat(moved.body()).isEqualTo("no id here");
                assertThat(BrokerClients.sqsMessagesLeft(source)).isZero();
            });
        }
    }

    @Test
    void rabbitMqRejectsAFailingMessageIntoTheQueuesDeadLetterExchange() throws Exception {
        TestBrokers.requireRabbitMq();
        String source = TestBrokers.unique("native-in");
        String dlx = TestBrokers.unique("native-dlx");
        String dlq = TestBrokers.unique("native-dlq");
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            ch.exchangeDeclare(dlx, "fanout", true);
            ch.queueDeclare(dlq, true, false, false, null);
            ch.queueBind(dlq, dlx, "");
            ch.queueDeclare(source, true, false, false, Map.of("x-dead-letter-exchange", dlx));
            try {
                start("rabbitmq", source, () -> {
                    ch.basicPublish("", source, null, "no id here".getBytes(StandardCharsets.UTF_8));
                    GetResponse moved = BrokerClients.rabbitGet(dlq);
                    assertThat(new String(moved.getBody(), StandardCharsets.UTF_8)).isEqualTo("no id here");
                    assertThat(moved.getProps().getHeaders()).containsKey("x-death");
                    assertThat(ch.messageCount(source)).isZero();
                });
            } finally {
                BrokerClients.rabbitDelete(source, dlq);
                ch.exchangeDelete(dlx);
            }
        }
    }

    interface Check {
        void run() throws Exception;
    }

    private void start(String queueType, String source, Check check) throws Exception {
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), """
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                rabbit: {type: queue_rabbitmq, url: "%s"}
                """.formatted(TestBrokers.sqs().endpoint(), TestBrokers.RABBITMQ_URL));
        Files.writeString(workflows.resolve("native.yaml"), workflow("native-" + queueType, queueType, source,
                queueType.equals("sqs") ? "sqs" : "rabbit"));
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            check.run();
        }
    }
}
