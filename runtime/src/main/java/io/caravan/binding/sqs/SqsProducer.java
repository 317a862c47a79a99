package io.caravan.binding.sqs;

import io.caravan.binding.BindingSupport;
import io.caravan.binding.Messages;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResultEntry;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * Sends the body, with every header as a String message attribute (but Camel control names),
 * in SendMessageBatch requests shared by all exchanges in flight. Each exchange completes with
 * its own entry's result, on one of this producer's sender threads, and carries the id SQS gave
 * in {@link Messages#MESSAGE_ID}.
 */
final class SqsProducer extends DefaultAsyncProducer {

    /**
     * "The maximum allowed individual message size and the maximum total payload size (the sum of
     * the individual lengths of all of the batched messages) are both 256 KiB (262,144 bytes)", and
     * a message's size counts the body and each attribute's name, type and value:
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_MessageAttributeValue.html
     */
    static final long MAX_BYTES = 262_144;
    /** Batch requests in progress at once; enough to keep up with a few pollers feeding the route. */
    private static final int SENDERS = 4;

    private record Pending(Exchange exchange, AsyncCallback callback, SendMessageBatchRequestEntry entry, long bytes) {
    }

    private final SqsEndpoint endpoint;
    private Batcher<Pending> batcher;

    SqsProducer(SqsEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        try {
            batcher.add(pending(exchange, callback));
            return false;
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
    }

    private Pending pending(Exchange exchange, AsyncCallback callback) {
        exchange.getMessage().removeHeader(Messages.MESSAGE_ID);
        String body = exchange.getMessage().getBody(String.class);
        Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
        long bytes = body == null ? 0 : utf8(body);
        for (Map.Entry<String, Object> header : exchange.getMessage().getHeaders().entrySet()) {
            String value = BindingSupport.text(header.getValue());
            if (value != null && !BindingSupport.isControlName(header.getKey())) {
                attributes.put(header.getKey(), MessageAttributeValue.builder().dataType("String").stringValue(value).build());
                bytes += utf8(header.getKey()) + utf8("String") + utf8(value);
            }
        }
        if (bytes > MAX_BYTES) {
            throw new IllegalArgumentException("message is too big for SQS: " + bytes
                    + " bytes of body and attributes, the limit is " + MAX_BYTES);
        }
        SendMessageBatchRequestEntry.Builder entry = SendMessageBatchRequestEntry.builder().messageBody(body)
                .messageAttributes(attributes);
        // SQS counts whole seconds: rounded up, so the message comes no earlier than asked
        Messages.delay(exchange.getMessage()).ifPresent(delay -> {
            long seconds = (delay.toMillis() + 999) / 1000;
            if (seconds > SqsBinding.MAX_DELAY.toSeconds()) {
                throw new IllegalArgumentException("delay " + io.caravan.spec.Durations.format(delay)
                        + " is more than SQS allows (15 minutes)");
            }
            entry.delaySeconds((int) seconds);
        });
        String group = exchange.getMessage().getHeader(Messages.field(SqsBinding.MESSAGE_GROUP_ID.name()), String.class);
        String dedup = exchange.getMessage().getHeader(Messages.field(SqsBinding.DEDUPLICATION_ID.name()), String.class);
        if (group != null && !group.isEmpty()) {
            entry.messageGroupId(group);
        } else if (SqsBinding.isFifo(endpoint.queueName())) {
            throw new IllegalArgumentException("SQS FIFO queue " + endpoint.queueName() + " needs a message group:"
                    + " set message_group_id on the send_message node");
        }
        if (dedup != null && !dedup.isEmpty()) {
            entry.messageDeduplicationId(dedup);
        }
        return new Pending(exchange, callback, entry.build(), bytes);
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private void send(List<Pending> batch) {
        try {
            SendMessageBatchRequestEntry[] entries = new SendMessageBatchRequestEntry[batch.size()];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = batch.get(i).entry().toBuilder().id(String.valueOf(i)).build();
            }
            SendMessageBatchResponse response = endpoint.client().sendMessageBatch(b -> b
                    .queueUrl(endpoint.queueUrl()).entries(entries));
            for (SendMessageBatchResultEntry ok : response.successful()) {
                batch.get(Integer.parseInt(ok.id())).exchange().getMessage().setHeader(Messages.MESSAGE_ID, ok.messageId());
            }
            for (BatchResultErrorEntry failed : response.failed()) {
                batch.get(Integer.parseInt(failed.id())).exchange().setException(SqsException.builder()
                        .message("SQS did not take the message: " + failed.code() + ": " + failed.message())
                        .statusCode(Boolean.TRUE.equals(failed.senderFault()) ? 400 : 500)
                        .build());
            }
        } catch (RuntimeException e) {
            // the request failed as a whole (unreachable, no such queue, ...): so did every entry
            batch.forEach(p -> p.exchange().setException(e));
        }
        for (Pending p : batch) {
            if (p.exchange().getException() == null && p.exchange().getMessage().getHeader(Messages.MESSAGE_ID) == null) {
                p.exchange().setException(new IllegalStateException("SQS returned no result for this message"));
            }
            p.callback().done(false);
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        try {
            // as camel-aws2-sqs does: SQS unreachable at start fails the route's start
            endpoint.queueUrl();
        } catch (QueueDoesNotExistException e) {
            // the route runs; each send fails with QUEUE_NOT_FOUND until the queue exists
        }
        batcher = new Batcher<>(Pending::bytes, MAX_BYTES, this::send, SENDERS, endpoint.getComponent().pool());
    }

    @Override
    protected void doStop() throws Exception {
        // the route's consumers have stopped and waited for their runs, so nothing should be left
        for (Pending p : batcher == null ? List.<Pending>of() : batcher.stop()) {
            p.exchange().setException(new IllegalStateException("SQS producer stopped before sending"));
            p.callback().done(false);
        }
        super.doStop();
    }
}
