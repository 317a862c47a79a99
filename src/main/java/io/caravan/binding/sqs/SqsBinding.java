package io.caravan.binding.sqs;

import static io.caravan.binding.BindingSupport.q;

import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.BindingSpec;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.QueueDepth;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialSpec;
import io.caravan.credential.CredentialSpec.Field;
import io.caravan.credential.CredentialSpec.Kind;
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
import org.apache.camel.component.aws2.sqs.Sqs2Constants;
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
 * AWS SQS on camel-aws2-sqs. The credential becomes an {@link SqsClient} in the registry that
 * endpoints reference as {@code amazonSQSClient=#...}, so keys never appear in a URI.
 *
 * <p>{@link #pull} (the receive_message action) calls the SDK directly instead of a Camel
 * consumer: a consumer deletes on exchange completion and polls forever, while the action must
 * take at most {@code max} messages within {@code wait} once and delete only when asked.
 */
public final class SqsBinding implements Binding {

    public static final String QUEUE_TYPE = "sqs";

    private static final BindingSpec SPEC = new BindingSpec(QUEUE_TYPE,
            new CredentialSpec("queue_aws_sqs", List.of(
                    new Field("region", Kind.STRING, true, false, "AWS region, e.g. us-east-1"),
                    new Field("access_key_id", Kind.STRING, true, true, "AWS access key id"),
                    new Field("secret_access_key", Kind.STRING, true, true, "AWS secret access key"),
                    new Field("endpoint", Kind.STRING, false, false,
                            "URL of an SQS-compatible server (ElasticMQ, LocalStack) instead of AWS"))),
            List.of(), List.of(), Set.of());

    /** Where each bound credential points (no secret), for CONNECTION_FAILED messages. */
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    /** The bound client of each credential, so classify can ask whether a queue exists. */
    private final Map<String, SqsClient> clients = new ConcurrentHashMap<>();

    @Override
    public BindingSpec spec() {
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
     * Options from https://camel.apache.org/components/next/aws2-sqs-component.html:
     * - amazonSQSClient: the bound client; the endpoint then ignores region/keys options.
     * - autoCreateQueue=false: a misspelled destination must fail (QUEUE_NOT_FOUND), not create a queue.
     * - queueUrl: "all other parameters which would influence the queueUrl are ignored" — used
     *   when the node gives a full URL, so a queue in another account or on a local server is
     *   addressed exactly; with a bare name the endpoint asks the client's endpoint for the URL.
     */
    private static String base(Channel channel) {
        String address = channel.address();
        StringBuilder uri = new StringBuilder("aws2-sqs:").append(queueName(address))
                .append("?amazonSQSClient=#").append(Bindings.beanName(channel.credentialId()))
                .append("&autoCreateQueue=false");
        if (isUrl(address)) {
            uri.append("&queueUrl=").append(q(address));
        }
        return uri.toString();
    }

    @Override
    public String consumerUri(Channel channel) {
        // - deleteAfterRead=true: Sqs2Consumer deletes in onComplete only (processCommit), so a
        //   failed exchange is not deleted and returns after the visibility timeout: at-least-once.
        // - messageAttributeNames/attributeNames=All: without them SQS returns no user
        //   attributes and no SentTimestamp.
        // - waitTimeSeconds: long polling (SQS allows at most 20 s); far fewer empty receives.
        // - maxMessagesPerPoll: SQS returns at most 10 per ReceiveMessage.
        long wait = Math.min(20, Math.max(0, BindingSupport.waitTime(channel).toSeconds()));
        int max = Math.min(10, BindingSupport.maxMessages(channel));
        return base(channel) + "&deleteAfterRead=true&messageAttributeNames=All&attributeNames=All"
                + "&waitTimeSeconds=" + wait + "&maxMessagesPerPoll=" + max;
    }

    @Override
    public String producerUri(Channel channel) {
        return base(channel);
    }

    /**
     * Sqs2Consumer.processCommit reads {@link Sqs2Constants#RECEIPT_HANDLE} from the exchange to
     * delete the message (camel components/camel-aws/camel-aws2-sqs/.../Sqs2Consumer.java), and so
     * does its visibility extender.
     */
    @Override
    public Set<String> consumerHeaders() {
        return Set.of(Sqs2Constants.RECEIPT_HANDLE);
    }

    @Override
    public ReceivedMessage received(Exchange exchange) {
        org.apache.camel.Message in = exchange.getMessage();
        // Read the SDK's own maps, not the flattened headers: the consumer also copies system
        // attributes (SentTimestamp, ...) and, unfiltered, any attribute named Camel* into headers.
        Map<String, MessageAttributeValue> userAttributes = castMap(in.getHeader(Sqs2Constants.MESSAGE_ATTRIBUTES));
        Map<MessageSystemAttributeName, String> system = castMap(in.getHeader(Sqs2Constants.ATTRIBUTES));
        return toReceived(in.getHeader(Sqs2Constants.MESSAGE_ID, String.class), in.getBody(String.class),
                userAttributes, system, in.getHeader(Sqs2Constants.RECEIPT_HANDLE, String.class));
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

    @SuppressWarnings("unchecked")
    private static <K, V> Map<K, V> castMap(Object value) {
        return value instanceof Map<?, ?> m ? (Map<K, V>) m : null;
    }

    /** Attributes become plain headers; the aws2-sqs producer turns non-Camel headers into message attributes. */
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
        return exchange.getMessage().getHeader(Sqs2Constants.MESSAGE_ID, String.class);
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
            // with autoCreateQueue=false the endpoint leaves the queue URL empty when the queue
            // does not exist, and the send then fails with whatever the server answers to a
            // request without one (ElasticMQ: HTTP 500), so ask the server directly
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
