package io.caravan.binding.sqs;

import io.caravan.CaravanException;
import io.caravan.binding.Provisioner;
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
 * SQS outside a route. A credential becomes an {@link SqsClient} in the registry that endpoints
 * reference as {@code client=#...}.
 *
 * <p>{@link #pull} (the receive_message action) calls the SDK directly: it takes at most
 * {@code max} messages within {@code wait} once, and deletes only when asked.
 */
final class SqsProvisioner implements Provisioner {

    private static final String QUEUE_TYPE = SqsBinding.QUEUE_TYPE;

    /** Where each bound credential points (no secret), for CONNECTION_FAILED messages. */
    private final Map<String, String> addresses = new ConcurrentHashMap<>();
    /** The bound client of each credential, so classify can ask whether a queue exists. */
    private final Map<String, SqsClient> clients = new ConcurrentHashMap<>();

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

    /**
     * Creates the queue when it does not exist (CreateQueue answers with the existing one's URL);
     * a name ending .fifo makes a FIFO queue with content-based deduplication.
     */
    @Override
    public void provision(CamelContext context, Channel channel, boolean consumed) {
        String name = SqsBinding.queueName(channel.address());
        if (SqsBinding.isFifo(name)) {
            // a FIFO queue Caravan creates deduplicates by content, so sends without deduplication_id work
            client(context, channel).createQueue(b -> b.queueName(name).attributes(Map.of(
                    QueueAttributeName.FIFO_QUEUE, "true", QueueAttributeName.CONTENT_BASED_DEDUPLICATION, "true")));
        } else {
            client(context, channel).createQueue(b -> b.queueName(name));
        }
    }

    static ReceivedMessage toReceived(String id, String body, Map<String, MessageAttributeValue> userAttributes,
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
                metadata.put(ReceivedMessage.DELIVERY_COUNT, Integer.parseInt(count));
            }
        }
        return new ReceivedMessage(id, body, attributes, receipt, timestamp, metadata);
    }

    @Override
    public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait,
                                      boolean deleteAfter) {
        SqsClient client = client(context, channel);
        String queueUrl = SqsBinding.isUrl(channel.address()) ? channel.address()
                : client.getQueueUrl(GetQueueUrlRequest.builder().queueName(channel.address()).build()).queueUrl();
        // by message id: a message whose visibility timeout ends within the wait is received again,
        // and is one message (the newest receipt handle is the one that deletes it)
        Map<String, Message> taken = new LinkedHashMap<>();
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
            batch.forEach(m -> taken.put(m.messageId(), m));
        } while (taken.size() < max && System.nanoTime() < deadline);

        // Without deleteAfter the messages stay in the queue, invisible until the queue's
        // visibility timeout ends; then any consumer receives them again.
        if (deleteAfter) {
            List<Message> all = List.copyOf(taken.values());
            for (int i = 0; i < all.size(); i += 10) {
                List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
                for (Message m : all.subList(i, Math.min(all.size(), i + 10))) {
                    entries.add(DeleteMessageBatchRequestEntry.builder()
                            .id(String.valueOf(entries.size())).receiptHandle(m.receiptHandle()).build());
                }
                client.deleteMessageBatch(DeleteMessageBatchRequest.builder().queueUrl(queueUrl).entries(entries).build());
            }
        }
        return taken.values().stream().map(m -> toReceived(m.messageId(), m.body(), m.messageAttributes(), m.attributes(),
                m.receiptHandle())).toList();
    }

    /**
     * ApproximateNumberOfMessages (visible) and ApproximateNumberOfMessagesNotVisible (received,
     * not yet deleted) from GetQueueAttributes, with the credential's bound client.
     */
    @Override
    public Optional<QueueDepth> depth(CamelContext context, Channel channel) {
        SqsClient client = client(context, channel);
        String queueUrl = SqsBinding.isUrl(channel.address()) ? channel.address()
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
        if (channel != null && !SqsBinding.isUrl(channel.address()) && queueIsMissing(channel)) {
            // a queue deleted after its URL was looked up, or a server that answers a request for a
            // missing queue with some other error (ElasticMQ: HTTP 500), so ask the server directly
            return BindingSupport.queueNotFound(QUEUE_TYPE, queue, failure, channel);
        }
        if (BindingSupport.isUnreachable(failure) || BindingSupport.isTlsFailure(failure)) {
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
            client.getQueueUrl(b -> b.queueName(SqsBinding.queueName(channel.address())));
            return false;
        } catch (QueueDoesNotExistException e) {
            return true;
        } catch (RuntimeException e) {
            // unreachable or refused: not evidence that the queue is missing
            return false;
        }
    }


    /** Sends the answer to the queue (name or URL) reply_to names, with a correlation_id attribute. */
    @Override
    public String reply(CamelContext context, Channel channel, String correlationId, String body,
                        Map<String, String> attributes) {
        SqsClient sqs = client(context, channel);
        String url = SqsBinding.isUrl(channel.address()) ? channel.address()
                : sqs.getQueueUrl(b -> b.queueName(channel.address())).queueUrl();
        Map<String, MessageAttributeValue> values = new LinkedHashMap<>();
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name)) {
                values.put(name, MessageAttributeValue.builder().dataType("String").stringValue(value).build());
            }
        });
        if (correlationId != null) {
            values.put("correlation_id", MessageAttributeValue.builder().dataType("String").stringValue(correlationId).build());
        }
        return sqs.sendMessage(b -> b.queueUrl(url).messageBody(body).messageAttributes(values)).messageId();
    }

    private final Map<String, SqsReplies> replyReaders = new ConcurrentHashMap<>();

    /**
     * Sends the request with {@code reply_to} and {@code correlation_id} attributes, then waits
     * for the answer on the reply queue, long-polled by one reader per Caravan instance and queue
     * ({@link SqsReplies}) that every request shares.
     */
    @Override
    public Optional<Reply> request(CamelContext context, Channel channel, String body, Map<String, String> attributes,
                                   String replyTo, Duration timeout) throws Exception {
        SqsClient sqs = client(context, channel);
        SqsReplies replies = replyReaders.computeIfAbsent(channel.credentialId() + "/" + replyTo, k -> new SqsReplies(sqs,
                SqsBinding.isUrl(replyTo) ? replyTo : sqs.getQueueUrl(b -> b.queueName(replyTo)).queueUrl()));
        Map<String, String> sent = new LinkedHashMap<>(attributes);
        sent.put("reply_to", replyTo);
        return replies.answers().ask(correlationId -> reply(context, channel, correlationId, body, sent), timeout);
    }

    @Override
    public io.caravan.binding.DeadLetterQueue deadLetters(CamelContext context, Channel channel) {
        return new SqsDeadLetters(client(context, channel), channel);
    }

    /** The queue named by the source queue's RedrivePolicy (its deadLetterTargetArn's last part). */
    @Override
    public Optional<String> nativeDeadLetter(CamelContext context, Channel channel) throws Exception {
        SqsClient client = client(context, channel);
        String url = SqsBinding.isUrl(channel.address()) ? channel.address()
                : client.getQueueUrl(GetQueueUrlRequest.builder().queueName(channel.address()).build()).queueUrl();
        String policy = client.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.REDRIVE_POLICY))
                .attributes().get(QueueAttributeName.REDRIVE_POLICY);
        if (policy == null || policy.isBlank()) {
            return Optional.empty();
        }
        Object arn = io.caravan.Json.MAPPER.readValue(policy, Map.class).get("deadLetterTargetArn");
        return arn == null ? Optional.empty() : Optional.of(arn.toString().substring(arn.toString().lastIndexOf(':') + 1));
    }
}
