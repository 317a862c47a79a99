package io.caravan.binding.sqs;

import static io.caravan.binding.BindingSupport.q;

import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.QueueDepth;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.SqsClientBuilder;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * AWS SQS on Caravan's own {@code caravan-sqs} component ({@link SqsComponent}): batched receive,
 * send and delete. The credential becomes an {@link SqsClient} in the registry that endpoints
 * reference as {@code client=#...}, so keys never appear in a URI.
 *
 * <p>{@link #pull} (the receive_message action) calls the SDK directly instead of a Camel
 * consumer: a consumer deletes on exchange completion and polls forever, while the action must
 * take at most {@code max} messages within {@code wait} once and delete only when asked.
 */
public final class SqsBinding implements Binding {

    public static final String QUEUE_TYPE = "sqs";

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "AWS SQS",
            new CredentialSpec("queue_aws_sqs", "an AWS account's SQS in one region, or an SQS-compatible server", List.of(
                    Field.string("region", "AWS region").asRequired().withExample("us-east-1"),
                    Field.string("access_key_id", "AWS access key id").asRequired().asSecret().withExample("${SQS_KEY}"),
                    Field.string("secret_access_key", "AWS secret access key").asRequired().asSecret()
                            .withExample("${SQS_SECRET}"),
                    Field.string("endpoint", "URL of an SQS-compatible server (ElasticMQ, LocalStack) instead of AWS")
                            .withExample("http://127.0.0.1:9324"))),
            List.of(), List.of(), Set.of(),
            new Capabilities("the queue's redrive policy: a failed message is not deleted, and after maxReceiveCount"
                    + " receives SQS moves it to the queue's dead-letter queue", null,
                    Capabilities.Ordering.MESSAGE_GROUP, true, true, false, true));

    /** Where each bound credential points (no secret), for CONNECTION_FAILED messages. */
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    /** The bound client of each credential, so classify can ask whether a queue exists. */
    private final Map<String, SqsClient> clients = new ConcurrentHashMap<>();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public void bind(CamelContext context, Credential credential) {
        String region = credential.string("region");
        SqsClientBuilder builder = SqsClient.builder()
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                        credential.string("access_key_id"), credential.string("secret_access_key"))));
        String endpoint = credential.string("endpoint");
        if (endpoint != null && !endpoint.isBlank()) {
            builder.endpointOverride(URI.create(endpoint));
            addresses.put(credential.id(), endpoint);
        } else {
            addresses.put(credential.id(), "sqs." + region + ".amazonaws.com");
        }
        String name = Bindings.beanName(credential.id());
        if (context.getRegistry().lookupByName(name) instanceof SqsClient old) {
            context.getRegistry().unbind(name);
            old.close();
        }
        SqsClient client = builder.build();
        clients.put(credential.id(), client);
        context.getRegistry().bind(name, SqsClient.class, client);
    }

    /*
     * caravan-sqs (SqsComponent), not camel-aws2-sqs: that consumer runs one exchange at a time per
     * poll and deletes each message with its own DeleteMessage, and its producer sends one
     * SendMessage per exchange (about 2.1 requests per message where batching needs 0.3).
     * - client: the bound client, so the URI carries no secret.
     * - queueUrl: a node that gives a full URL is addressed exactly (another account, a local
     *   server); with a bare name the endpoint asks GetQueueUrl. Nothing creates queues: a
     *   misspelled destination fails with QUEUE_NOT_FOUND.
     */
    private static String base(Channel channel) {
        String address = channel.address();
        StringBuilder uri = new StringBuilder("caravan-sqs:").append(queueName(address))
                .append("?client=#").append(Bindings.beanName(channel.credentialId()));
        if (isUrl(address)) {
            uri.append("&queueUrl=").append(q(address));
        }
        return uri.toString();
    }

    /**
     * Long polling with the node's wait_time (SQS allows at most 20 s) and up to max_messages
     * (SQS returns at most 10) per ReceiveMessage. A failed run is not deleted and comes back
     * after the visibility timeout, which is also what the queue's redrive policy needs.
     */
    @Override
    public String consumerUri(Channel channel) {
        long wait = Math.min(20, Math.max(0, BindingSupport.waitTime(channel).toSeconds()));
        int max = Math.min(10, BindingSupport.maxMessages(channel));
        return base(channel) + "&waitTimeSeconds=" + wait + "&maxMessagesPerPoll=" + max;
    }

    @Override
    public String producerUri(Channel channel) {
        return base(channel);
    }

    /** None: the consumer keeps each message's receipt handle in its own completion callback. */
    @Override
    public Set<String> consumerHeaders() {
        return Set.of();
    }

    @Override
    public ReceivedMessage received(Exchange exchange) {
        Message m = exchange.getMessage().getHeader(SqsConsumer.MESSAGE, Message.class);
        return toReceived(m.messageId(), m.body(), m.messageAttributes(), m.attributes(), m.receiptHandle());
    }

    private static ReceivedMessage toReceived(String id, String body, Map<String, MessageAttributeValue> userAttributes,
                                              Map<MessageSystemAttributeName, String> system, String receipt) {
        Map<String, String> attributes = new LinkedHashMap<>();
        if (userAttributes != null) {
            userAttributes.forEach((name, value) -> {
                if (!BindingSupport.isControlName(name) && value != null) {
                    attributes.put(name, value.stringValue() != null ? value.stringValue()
                            : value.binaryValue() != null ? Base64.getEncoder().encodeToString(value.binaryValue().asByteArray())
                            : "");
                }
            });
        }
        String timestamp = null;
        Map<String, Object> metadata = new LinkedHashMap<>();
        if (system != null) {
            String sent = system.get(MessageSystemAttributeName.SENT_TIMESTAMP);
            if (sent != null) {
                timestamp = BindingSupport.iso(Long.parseLong(sent));
            }
            String count = system.get(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT);
            if (count != null) {
                metadata.put("receive_count", Integer.parseInt(count));
            }
        }
        return new ReceivedMessage(id, body, attributes, receipt, timestamp, metadata);
    }

    /** Attributes become plain headers; the caravan-sqs producer sends non-Camel headers as message attributes. */
    @Override
    public void prepareSend(Exchange exchange, Channel channel, Map<String, String> attributes,
                            Map<String, String> renderedFields) {
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name) && value != null) {
                exchange.getMessage().setHeader(name, value);
            }
        });
    }

    @Override
    public String sentMessageId(Exchange exchange) {
        return exchange.getMessage().getHeader(SqsProducer.MESSAGE_ID, String.class);
    }

    @Override
    public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait,
                                      boolean deleteAfter) {
        SqsClient client = client(context, channel);
        String queueUrl = isUrl(channel.address()) ? channel.address()
                : client.getQueueUrl(GetQueueUrlRequest.builder().queueName(channel.address()).build()).queueUrl();
        List<Message> taken = new ArrayList<>();
        long deadline = System.nanoTime() + wait.toNanos();
        do {
            long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000_000L);
            List<Message> batch = client.receiveMessage(ReceiveMessageRequest.builder()
                    .queueUrl(queueUrl)
                    .maxNumberOfMessages(Math.min(10, max - taken.size()))
                    .waitTimeSeconds((int) Math.min(20, left))
                    .messageAttributeNames("All")
                    .messageSystemAttributeNames(MessageSystemAttributeName.ALL)
                    .build()).messages();
            taken.addAll(batch);
        } while (taken.size() < max && System.nanoTime() < deadline);

        // Without deleteAfter the messages stay in the queue, invisible until the queue's
        // visibility timeout ends; then any consumer receives them again.
        if (deleteAfter) {
            for (int i = 0; i < taken.size(); i += 10) {
                List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
                for (Message m : taken.subList(i, Math.min(taken.size(), i + 10))) {
                    entries.add(DeleteMessageBatchRequestEntry.builder()
                            .id(String.valueOf(entries.size())).receiptHandle(m.receiptHandle()).build());
                }
                client.deleteMessageBatch(DeleteMessageBatchRequest.builder().queueUrl(queueUrl).entries(entries).build());
            }
        }
        return taken.stream().map(m -> toReceived(m.messageId(), m.body(), m.messageAttributes(), m.attributes(),
                m.receiptHandle())).toList();
    }

    /**
     * ApproximateNumberOfMessages (visible) and ApproximateNumberOfMessagesNotVisible (received,
     * not yet deleted) from GetQueueAttributes, with the credential's bound client.
     */
    @Override
    public Optional<QueueDepth> depth(CamelContext context, Channel channel) {
        SqsClient client = client(context, channel);
        String queueUrl = isUrl(channel.address()) ? channel.address()
                : client.getQueueUrl(GetQueueUrlRequest.builder().queueName(channel.address()).build()).queueUrl();
        Map<QueueAttributeName, String> attributes = client.getQueueAttributes(b -> b.queueUrl(queueUrl)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
        return Optional.of(QueueDepth.of(
                Long.parseLong(attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0")),
                Long.parseLong(attributes.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "0"))));
    }

    private static SqsClient client(CamelContext context, Channel channel) {
        SqsClient client = context.getRegistry().lookupByNameAndType(Bindings.beanName(channel.credentialId()), SqsClient.class);
        if (client == null) {
            throw new IllegalStateException("credential " + channel.credentialId() + " is not bound to an SQS client");
        }
        return client;
    }

    @Override
    public CaravanException classify(Throwable failure, Channel channel) {
        if (failure instanceof CaravanException ce) {
            return ce;
        }
        String queue = channel == null ? "?" : channel.address();
        if (BindingSupport.cause(failure, QueueDoesNotExistException.class).isPresent()
                || BindingSupport.cause(failure, SqsException.class)
                        .map(e -> e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                                && e.awsErrorDetails().errorCode().contains("NonExistentQueue"))
                        .orElse(false)) {
            return BindingSupport.queueNotFound(QUEUE_TYPE, queue, failure, channel);
        }
        if (channel != null && !isUrl(channel.address()) && queueIsMissing(channel)) {
            // a queue deleted after its URL was looked up, or a server that answers a request for a
            // missing queue with some other error (ElasticMQ: HTTP 500), so ask the server directly
            return BindingSupport.queueNotFound(QUEUE_TYPE, queue, failure, channel);
        }
        if (BindingSupport.isUnreachable(failure)) {
            String address = channel == null ? null : addresses.get(channel.credentialId());
            return BindingSupport.connectionFailed(QUEUE_TYPE, address == null ? "(unbound credential)" : address,
                    failure, channel);
        }
        return BindingSupport.other(QUEUE_TYPE, failure, channel);
    }

    private boolean queueIsMissing(Channel channel) {
        SqsClient client = clients.get(channel.credentialId());
        if (client == null) {
            return false;
        }
        try {
            client.getQueueUrl(b -> b.queueName(queueName(channel.address())));
            return false;
        } catch (QueueDoesNotExistException e) {
            return true;
        } catch (RuntimeException e) {
            // unreachable or refused: not evidence that the queue is missing
            return false;
        }
    }

    static boolean isUrl(String address) {
        return address.startsWith("https://") || address.startsWith("http://");
    }

    /** The queue name: the last path segment of a queue URL, or the address itself. */
    static String queueName(String address) {
        if (!isUrl(address)) {
            return address;
        }
        String path = URI.create(address).getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
