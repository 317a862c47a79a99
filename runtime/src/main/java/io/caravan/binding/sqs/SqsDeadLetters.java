package io.caravan.binding.sqs;

import io.caravan.binding.Channel;
import io.caravan.binding.DeadLetterQueue;
import io.caravan.binding.ReceivedMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.GetQueueUrlRequest;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;

/**
 * A dead-letter queue on SQS: read by receiving the messages (invisible for {@link #HOLD_SECONDS})
 * and making them visible again at once; a redrive deletes each by its receipt handle once its
 * copy is confirmed, and makes the others visible again when it closes.
 */
final class SqsDeadLetters implements DeadLetterQueue {

    /** How long a received message stays invisible: the longest a redrive holds one before its copy is confirmed. */
    static final int HOLD_SECONDS = 60;

    private final SqsClient client;
    private final String queueUrl;
    // received and not deleted, by message id: the newest receipt handle is the one that counts
    private final Map<String, Message> held = new LinkedHashMap<>();

    SqsDeadLetters(SqsClient client, Channel channel) {
        this.client = client;
        this.queueUrl = SqsBinding.isUrl(channel.address()) ? channel.address()
                : client.getQueueUrl(GetQueueUrlRequest.builder().queueName(channel.address()).build()).queueUrl();
    }

    @Override
    public long count() {
        String n = client.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                .attributes().get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES);
        return n == null ? -1 : Long.parseLong(n);
    }

    /** Receives until {@code max} distinct messages or the queue gives no new one. */
    private List<Message> receive(int max) {
        Map<String, Message> got = new LinkedHashMap<>();
        while (got.size() < max) {
            List<Message> batch = client.receiveMessage(ReceiveMessageRequest.builder().queueUrl(queueUrl)
                    .maxNumberOfMessages(Math.min(10, max - got.size())).waitTimeSeconds(1).visibilityTimeout(HOLD_SECONDS)
                    .messageAttributeNames("All").messageSystemAttributeNames(MessageSystemAttributeName.ALL).build()).messages();
            int before = got.size();
            batch.forEach(m -> got.put(m.messageId(), m));
            held.putAll(got);
            if (got.size() == before) {
                break;
            }
        }
        return List.copyOf(got.values());
    }

    private static ReceivedMessage received(Message m) {
        return SqsProvisioner.toReceived(m.messageId(), m.body(), m.messageAttributes(), m.attributes(), m.receiptHandle());
    }

    private void release(Message m) {
        held.remove(m.messageId());
        client.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()).visibilityTimeout(0));
    }

    @Override
    public List<ReceivedMessage> browse(int max) {
        List<Message> got = receive(max);
        got.forEach(this::release);
        return got.stream().map(SqsDeadLetters::received).toList();
    }

    @Override
    public List<Taken> take(int max, Predicate<ReceivedMessage> wanted) {
        List<Taken> out = new ArrayList<>();
        // the unwanted stay held while the queue is read, so they are not received again
        for (Message m : receive(Math.max(max, 100))) {
            ReceivedMessage r = received(m);
            if (out.size() >= max || !wanted.test(r)) {
                continue;
            }
            out.add(Taken.of(r, () -> {
                client.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                held.remove(m.messageId());
            }));
        }
        return out;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (Message m : List.copyOf(held.values())) {
            try {
                release(m);
            } catch (RuntimeException e) {
                // it becomes visible by itself once HOLD_SECONDS are over
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
