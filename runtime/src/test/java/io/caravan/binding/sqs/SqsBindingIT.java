package io.caravan.binding.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.binding.Binding;
import io.caravan.binding.BrokerConformance;
import io.caravan.credential.Credential;
import io.caravan.testing.TestBrokers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/** SQS (in-process ElasticMQ) through the conformance suite, and SQS's own limits. */
class SqsBindingIT extends BrokerConformance {

    private final SqsBinding binding = new SqsBinding();

    @Override
    protected Binding binding() {
        return binding;
    }

    @Override
    protected Credential credential() {
        return TestBrokers.sqsCredential();
    }

    @Override
    protected Credential unreachable(int port, String secret) {
        return new Credential("sqs-down", "queue_aws_sqs", Map.of("region", "us-east-1", "access_key_id", "AKIA-TEST",
                "secret_access_key", secret, "endpoint", "http://127.0.0.1:" + port),
                Set.of("access_key_id", "secret_access_key"));
    }

    /** A queue whose visibility timeout is 1 s, so what a run or a pull did not delete comes back soon. */
    /** ElasticMQ takes any keys: the secret reaches it and the workflow runs. */
    @Override
    protected Credential credentialWithSecret(String field, String secret) {
        Map<String, Object> fields = new java.util.HashMap<>(credential().fields());
        fields.put(field, secret);
        return new Credential("sqs-secret", "queue_aws_sqs", fields, Set.of("access_key_id", "secret_access_key"));
    }

    @Override
    protected String newAddress() {
        String queue = TestBrokers.unique("queue");
        try (SqsClient client = TestBrokers.sqs().client()) {
            client.createQueue(b -> b.queueName(queue).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "1")));
        }
        return queue;
    }

    @Override
    protected Map<String, Object> nodeConfig() {
        return Map.of("wait_time", Duration.ofSeconds(1));
    }

    /** A FIFO queue (content-based deduplication) whose visibility timeout is 2 s. */
    @Override
    protected String keyedAddress() throws Exception {
        String queue = TestBrokers.unique("queue") + ".fifo";
        try (SqsClient client = TestBrokers.sqs().client()) {
            client.createQueue(b -> b.queueName(queue).attributes(Map.of(QueueAttributeName.FIFO_QUEUE, "true",
                    QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "true", QueueAttributeName.VISIBILITY_TIMEOUT, "2")));
        }
        return queue;
    }

    /** The key is the message group. */
    @Override
    protected void publishKeyed(String queue, String key, String body) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            client.sendMessage(b -> b.queueUrl(url).messageBody(body).messageGroupId(key));
        }
    }

    @Override
    protected void publish(String queue, String body, Map<String, String> attributes) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            Map<String, MessageAttributeValue> values = new LinkedHashMap<>();
            attributes.forEach((k, v) -> values.put(k, MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
            client.sendMessage(b -> b.queueUrl(url).messageBody(body).messageAttributes(values));
        }
    }

    @Override
    protected List<RawMessage> take(String queue, int count, Duration within) {
        List<RawMessage> out = new ArrayList<>();
        try (SqsClient client = TestBrokers.sqs().client()) {
            String url = client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
            long deadline = System.nanoTime() + within.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                for (Message m : client.receiveMessage(b -> b.queueUrl(url).waitTimeSeconds(1).maxNumberOfMessages(10)
                        .messageAttributeNames("All")).messages()) {
                    Map<String, String> attributes = new LinkedHashMap<>();
                    m.messageAttributes().forEach((k, v) -> attributes.put(k, v.stringValue()));
                    out.add(new RawMessage(m.body(), attributes));
                    client.deleteMessage(b -> b.queueUrl(url).receiptHandle(m.receiptHandle()));
                }
            }
        }
        return out;
    }

    @Override
    protected void remove(String queue) {
        try (SqsClient client = TestBrokers.sqs().client()) {
            client.deleteQueue(b -> b.queueUrl(client.getQueueUrl(q -> q.queueName(queue)).queueUrl()));
        } catch (RuntimeException ignored) {
            // already gone
        }
    }

    @Test
    void aMessageTooBigForSqsFailsWithAClearError() throws Exception {
        Exchange exchange = new DefaultExchange(context);
        exchange.getMessage().setBody("x".repeat(300_000));
        Exchange result = context.createProducerTemplate().send(binding.producerUri(channel(address())), exchange);
        assertThat(result.getException()).hasMessageContaining("too big for SQS").hasMessageContaining("262144");
    }

    @Test
    void aQueueUrlIsAddressedByItsName() {
        String url = TestBrokers.sqs().endpoint() + "/000000000000/orders";
        assertThat(binding.consumerUri(channel(url), false)).startsWith("caravan-sqs:orders?client=#caravan-credential-sqs-test")
                .contains("waitTimeSeconds=1");
    }
}
