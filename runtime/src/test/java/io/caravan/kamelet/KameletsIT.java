package io.caravan.kamelet;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.GetResponse;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.LogCapture;
import io.caravan.testing.RoutesHome;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.camel.ConsumerTemplate;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * Each kamelet in kamelets/ used from a hand-written YAML route inside Caravan's runtime, once
 * against its broker: what goes into a sink is in the broker (read with the broker's client),
 * what is put in the broker comes out of the source. Hostile control headers ride along and
 * must change nothing. Also runs two kamelets of the Apache Camel catalog on the class path.
 */
class KameletsIT {

    private static final String HOSTILE_TOPIC = TestBrokers.unique("stolen");
    private static final String KAFKA_OUT = TestBrokers.unique("kamelet-out");
    private static final String KAFKA_IN = TestBrokers.unique("kamelet-in");
    private static final String SQS_OUT = TestBrokers.unique("kamelet-out");
    private static final String SQS_IN = TestBrokers.unique("kamelet-in");
    private static final String CATALOG_SQS = TestBrokers.unique("catalog-out");
    private static final String RABBIT_OUT = TestBrokers.unique("kamelet-out");
    private static final String RABBIT_IN = TestBrokers.unique("kamelet-in");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static boolean rabbitUp;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.sqs().createQueue(SQS_OUT);
        TestBrokers.sqs().createQueue(SQS_IN);
        TestBrokers.sqs().createQueue(CATALOG_SQS);
        RoutesHome routes = new RoutesHome(home)
                .property("it.kafka", TestBrokers.kafka().bootstrapServers())
                .property("it.sqs", TestBrokers.sqs().endpoint())
                .property("it.kafka.out", KAFKA_OUT).property("it.kafka.in", KAFKA_IN)
                .property("it.sqs.out", SQS_OUT).property("it.sqs.in", SQS_IN).property("it.sqs.catalog", CATALOG_SQS)
                .property("it.group", TestBrokers.unique("kamelets-it"))
                .route("kafka", """
                        - route:
                            id: to-kafka
                            from:
                              uri: direct:to-kafka
                              steps:
                                - to: "kamelet:caravan-kafka-sink?topic={{it.kafka.out}}&bootstrapServers={{it.kafka}}"
                        - route:
                            id: from-kafka
                            from:
                              uri: "kamelet:caravan-kafka-source?topic={{it.kafka.in}}&bootstrapServers={{it.kafka}}&consumerGroup={{it.group}}"
                              steps:
                                - to: seda:from-kafka
                        """)
                .route("sqs", """
                        - route:
                            id: to-sqs
                            from:
                              uri: direct:to-sqs
                              steps:
                                - to:
                                    uri: kamelet:caravan-sqs-sink
                                    parameters:
                                      queueName: "{{it.sqs.out}}"
                                      region: us-east-1
                                      accessKey: x
                                      secretKey: x
                                      overrideEndpoint: true
                                      uriEndpointOverride: "{{it.sqs}}"
                        - route:
                            id: from-sqs
                            from:
                              uri: kamelet:caravan-sqs-source
                              parameters:
                                queueName: "{{it.sqs.in}}"
                                region: us-east-1
                                accessKey: x
                                secretKey: x
                                overrideEndpoint: true
                                uriEndpointOverride: "{{it.sqs}}"
                                waitTimeSeconds: 1
                              steps:
                                - to: seda:from-sqs
                        """)
                .route("catalog", """
                        # kamelets of the Apache Camel catalog (camel-kamelets on the class path)
                        - route:
                            id: catalog-log
                            from:
                              uri: direct:catalog-log
                              steps:
                                - to: "kamelet:log-sink?loggerName=caravan.it.catalog&showHeaders=true"
                        - route:
                            id: catalog-sqs
                            from:
                              uri: direct:catalog-sqs
                              steps:
                                - to: "kamelet:aws-sqs-sink?queueNameOrArn={{it.sqs.catalog}}&region=us-east-1&accessKey=x&secretKey=x&overrideEndpoint=true&uriEndpointOverride={{it.sqs}}"
                        """);
        rabbitUp = Ports.answers(TestBrokers.RABBITMQ_HOST, TestBrokers.RABBITMQ_PORT);
        if (rabbitUp) {
            BrokerClients.rabbitDeclare(RABBIT_OUT);
            BrokerClients.rabbitDeclare(RABBIT_IN);
            routes.property("it.rabbit.out", RABBIT_OUT).property("it.rabbit.in", RABBIT_IN).route("rabbitmq", """
                    - route:
                        id: to-rabbitmq
                        from:
                          uri: direct:to-rabbitmq
                          steps:
                            - to: "kamelet:caravan-rabbitmq-sink?host=127.0.0.1&port=5672&username=guest&password=guest&routingKey={{it.rabbit.out}}"
                    - route:
                        id: from-rabbitmq
                        from:
                          uri: "kamelet:caravan-rabbitmq-source?host=127.0.0.1&port=5672&username=guest&password=guest&queue={{it.rabbit.in}}"
                          steps:
                            - to: seda:from-rabbitmq
                    """);
        }
        runtime = routes.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (rabbitUp) {
            BrokerClients.rabbitDelete(RABBIT_OUT, RABBIT_IN);
        }
    }

    @Test
    void kafkaSinkSendsTheBodyKeyedByTheKeyHeaderAndIgnoresControlHeaders() {
        producer().sendBodyAndHeaders("direct:to-kafka", "{\"order\": 1}", Map.of(
                "key", "o-1", "tenant", "t-1", "kafka.OVERRIDE_TOPIC", HOSTILE_TOPIC));
        ConsumerRecord<String, String> got = BrokerClients.kafkaReadOne(List.of(KAFKA_OUT, HOSTILE_TOPIC));
        assertThat(got.topic()).isEqualTo(KAFKA_OUT);
        assertThat(got.value()).isEqualTo("{\"order\": 1}");
        assertThat(got.key()).isEqualTo("o-1");
        assertThat(BrokerClients.header(got, "tenant")).isEqualTo("t-1");
    }

    @Test
    void kafkaSourceDeliversBodyKeyAndHeadersAsDataWithoutControlHeaders() throws Exception {
        BrokerClients.kafkaSend(KAFKA_IN, "k-9", "hello from kafka", Map.of(
                "tenant", "t-2", "kafka.OVERRIDE_TOPIC", HOSTILE_TOPIC, "camelAwsSqsOperation", "deleteQueue"));
        Exchange got = consumer().receive("seda:from-kafka", 30_000);
        assertThat(got).as("a message from caravan-kafka-source").isNotNull();
        assertThat(got.getMessage().getBody(String.class)).isEqualTo("hello from kafka");
        assertThat(got.getMessage().getHeader("key")).isEqualTo("k-9");
        assertThat(got.getMessage().getHeader("tenant")).isEqualTo("t-2");
        assertThat(got.getMessage().getHeaders().keySet())
                .noneMatch(h -> h.toLowerCase().startsWith("camel") || h.toLowerCase().startsWith("kafka."));
    }

    @Test
    void sqsSinkSendsTheBodyWithHeadersAsAttributesAndIgnoresControlHeaders() {
        producer().sendBodyAndHeaders("direct:to-sqs", "{\"event\": \"login\"}", Map.of(
                "tenant", "t-3", "CamelAwsSqsOperation", "purgeQueue", "CamelAwsSqsDelaySeconds", "900"));
        Message got = BrokerClients.sqsReceiveOne(SQS_OUT);
        assertThat(got.body()).isEqualTo("{\"event\": \"login\"}");
        assertThat(got.messageAttributes()).containsOnlyKeys("tenant");
        assertThat(got.messageAttributes().get("tenant").stringValue()).isEqualTo("t-3");
    }

    @Test
    void sqsSourceDeliversAttributesAsDataAndDeletesTheMessageOnceDone() throws Exception {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(SQS_IN)).queueUrl();
            client.sendMessage(b -> b.queueUrl(url).messageBody("hello from sqs").messageAttributes(Map.of(
                    "tenant", text("t-4"), "CamelAwsSqsOperation", text("deleteQueue"), "kafka.OVERRIDE_TOPIC", text("x"))));
        }
        Exchange got = consumer().receive("seda:from-sqs", 30_000);
        assertThat(got).as("a message from caravan-sqs-source").isNotNull();
        assertThat(got.getMessage().getBody(String.class)).isEqualTo("hello from sqs");
        assertThat(got.getMessage().getHeader("tenant")).isEqualTo("t-4");
        assertThat(got.getMessage().getHeaders().keySet()).doesNotContain("CamelAwsSqsOperation", "kafka.OVERRIDE_TOPIC")
                .noneMatch(h -> h.startsWith("Camel") && !h.equals("CamelAwsSqsReceiptHandle"));
        // deleted in onComplete: once the exchange is done the queue is empty, not just hiding it
        long deadline = System.currentTimeMillis() + 10_000;
        while (BrokerClients.sqsMessagesLeft(SQS_IN) > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertThat(BrokerClients.sqsMessagesLeft(SQS_IN)).isZero();
    }

    @Test
    void rabbitMqSinkPublishesToTheRoutingKeyAndIgnoresOverrideHeaders() throws Exception {
        TestBrokers.requireRabbitMq();
        producer().sendBodyAndHeaders("direct:to-rabbitmq", "hello rabbit", Map.of(
                "tenant", "t-5", "CamelSpringRabbitmqRoutingOverrideKey", RABBIT_IN,
                "CamelSpringRabbitmqExchangeOverrideName", "amq.topic"));
        GetResponse got = BrokerClients.rabbitGet(RABBIT_OUT);
        assertThat(new String(got.getBody(), StandardCharsets.UTF_8)).isEqualTo("hello rabbit");
        assertThat(got.getProps().getHeaders().get("tenant").toString()).isEqualTo("t-5");
    }

    @Test
    void rabbitMqSourceDeliversHeadersAsDataWithoutControlHeaders() throws Exception {
        TestBrokers.requireRabbitMq();
        try (Connection c = BrokerClients.rabbit(); Channel ch = c.createChannel()) {
            ch.basicPublish("", RABBIT_IN, new AMQP.BasicProperties.Builder()
                    .headers(Map.of("tenant", "t-6", "CamelSpringRabbitmqRoutingOverrideKey", "stolen")).build(),
                    "hello from rabbit".getBytes(StandardCharsets.UTF_8));
        }
        Exchange got = consumer().receive("seda:from-rabbitmq", 30_000);
        assertThat(got).as("a message from caravan-rabbitmq-source").isNotNull();
        assertThat(got.getMessage().getBody(String.class)).isEqualTo("hello from rabbit");
        assertThat(got.getMessage().getHeader("tenant").toString()).isEqualTo("t-6");
        assertThat(got.getMessage().getHeaders().keySet()).noneMatch(h -> h.toLowerCase().startsWith("camel"));
    }

    @Test
    void catalogLogSinkRunsFromTheClassPath() {
        try (LogCapture log = LogCapture.begin()) {
            producer().sendBodyAndHeader("direct:catalog-log", "hello catalog", "tenant", "t-7");
            assertThat(log.events("caravan.it.catalog")).singleElement()
                    .satisfies(e -> assertThat(e.getMessage().getFormattedMessage()).contains("hello catalog", "tenant=t-7"));
        }
    }

    @Test
    void catalogAwsSqsSinkRunsFromTheClassPath() {
        producer().sendBody("direct:catalog-sqs", "hello from the catalog");
        assertThat(BrokerClients.sqsReceiveOne(CATALOG_SQS).body()).isEqualTo("hello from the catalog");
    }

    private static MessageAttributeValue text(String value) {
        return MessageAttributeValue.builder().dataType("String").stringValue(value).build();
    }

    private static ProducerTemplate producer() {
        return runtime.context().createProducerTemplate();
    }

    private static ConsumerTemplate consumer() {
        return runtime.context().createConsumerTemplate();
    }
}
