package io.caravan.binding.sqs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.Channel;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.testing.Received;
import io.caravan.testing.TestBrokers;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.component.aws2.sqs.Sqs2Constants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.CreateQueueRequest;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

class SqsBindingIT {

    private final SqsBinding binding = new SqsBinding();
    private DefaultCamelContext context;
    private String queue;
    private String queueUrl;

    @BeforeEach
    void start() {
        context = new DefaultCamelContext();
        binding.bind(context, TestBrokers.sqsCredential());
        context.start();
        queue = TestBrokers.unique("queue");
        queueUrl = TestBrokers.sqs().createQueue(queue);
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private Channel channel(String address) {
        return TestBrokers.channel("sqs-test", address, Map.of("wait_time", Duration.ofSeconds(1), "max_messages", 10L));
    }

    private String send(Channel channel, String body, Map<String, String> attributes) {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody(body);
        binding.prepareSend(exchange, channel, attributes, Map.of());
        Exchange result = context.createProducerTemplate().send(binding.producerUri(channel), exchange);
        assertThat(result.getException()).isNull();
        return binding.sentMessageId(result);
    }

    @Test
    void sendsAndReceivesAndDeletesOnCompletion() throws Exception {
        String id = send(channel(queueUrl), "{\"n\":1}", Map.of("priority", "high"));
        assertThat(id).isNotBlank();

        Received received = Received.from(context, binding, binding.consumerUri(channel(queue)));
        List<ReceivedMessage> got = received.await(1, Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        ReceivedMessage m = got.get(0);
        assertThat(m.id()).isEqualTo(id);
        assertThat(m.body()).isEqualTo("{\"n\":1}");
        assertThat(m.attributes()).isEqualTo(Map.of("priority", "high"));
        assertThat(m.receipt()).isNotBlank();
        assertThat(Instant.parse(m.timestamp())).isBetween(Instant.now().minusSeconds(60), Instant.now());

        // the consumer deleted it on completion
        context.getRouteController().stopAllRoutes();
        assertThat(binding.pull(context, channel(queue), 10, Duration.ofSeconds(1), false)).isEmpty();
    }

    @Test
    void aMessageTooBigForSqsFailsWithAClearError() {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("x".repeat(300_000));
        Exchange result = context.createProducerTemplate().send(binding.producerUri(channel(queue)), exchange);
        assertThat(result.getException()).hasMessageContaining("too big for SQS").hasMessageContaining("262144");
    }

    @Test
    void controlAttributesFromTheBrokerNeverBecomeAttributes() throws Exception {
        try (SqsClient raw = TestBrokers.sqs().client()) {
            raw.sendMessage(SendMessageRequest.builder().queueUrl(queueUrl).messageBody("poison")
                    .messageAttributes(Map.of(
                            Sqs2Constants.SQS_OPERATION, string("deleteMessage"),
                            "ok", string("yes")))
                    .build());
        }
        Received received = Received.from(context, binding, binding.consumerUri(channel(queue)));
        List<ReceivedMessage> got = received.await(1, Duration.ofSeconds(20));
        assertThat(got).hasSize(1);
        assertThat(got.get(0).attributes()).isEqualTo(Map.of("ok", "yes"));
    }

    private static MessageAttributeValue string(String v) {
        return MessageAttributeValue.builder().dataType("String").stringValue(v).build();
    }

    @Test
    void pullHonoursMaxWaitAndDeleteAfter() throws Exception {
        String shortQueue = TestBrokers.unique("vis");
        try (SqsClient raw = TestBrokers.sqs().client()) {
            raw.createQueue(CreateQueueRequest.builder().queueName(shortQueue)
                    .attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1")).build());
        }
        Channel ch = channel(shortQueue);
        for (int i = 0; i < 3; i++) {
            send(ch, "m" + i, Map.of("i", String.valueOf(i)));
        }
        List<ReceivedMessage> peek = binding.pull(context, ch, 2, Duration.ofSeconds(2), false);
        assertThat(peek).hasSize(2);
        assertThat(peek.get(0).attributes()).containsKey("i");

        // not deleted: they come back once the 1 s visibility timeout is over
        List<ReceivedMessage> taken = binding.pull(context, ch, 3, Duration.ofSeconds(5), true);
        assertThat(taken).extracting(ReceivedMessage::body).containsExactlyInAnyOrder("m0", "m1", "m2");
        assertThat(taken).allSatisfy(m -> assertThat(m.metadata()).containsKey("receive_count"));

        assertThat(binding.pull(context, ch, 10, Duration.ofSeconds(2), true)).isEmpty();
    }

    @Test
    void classifiesMissingQueueAndClosedPort() throws Exception {
        Channel missing = channel(TestBrokers.unique("absent"));
        Throwable notFound = catchThrowable(() -> binding.pull(context, missing, 1, Duration.ofSeconds(1), false));
        assertThat(binding.classify(notFound, missing).code()).isEqualTo(ErrorCode.QUEUE_NOT_FOUND);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        binding.bind(context, new Credential("sqs-closed", "queue_aws_sqs",
                Map.of("region", "us-east-1", "access_key_id", "AKIA-TEST", "secret_access_key", "it-secret-do-not-print",
                        "endpoint", "http://127.0.0.1:" + port),
                Set.of("access_key_id", "secret_access_key")));
        Channel closed = TestBrokers.channel("sqs-closed", queue, Map.of());
        Throwable failure = catchThrowable(() -> binding.pull(context, closed, 1, Duration.ofSeconds(1), false));
        CaravanException e = binding.classify(failure, closed);
        assertThat(e.code()).isEqualTo(ErrorCode.CONNECTION_FAILED);
        assertThat(e.getMessage()).contains("127.0.0.1:" + port).doesNotContain("it-secret-do-not-print");
    }

    @Test
    void urisCarryNoSecretAndQueueUrlsResolveToNames() {
        String uri = binding.consumerUri(channel(queueUrl));
        assertThat(uri).startsWith("caravan-sqs:" + queue + "?client=#caravan-credential-sqs-test")
                .contains("waitTimeSeconds=1", "maxMessagesPerPoll=10")
                .doesNotContain(TestBrokers.sqsCredential().string("secret_access_key") + "&");
        assertThat(binding.consumerHeaders()).isEmpty();
    }
}
