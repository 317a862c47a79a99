package io.caravan.binding.sqs;

import io.caravan.binding.Provisioner;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The answers on one reply queue for this Caravan instance: a daemon thread long-polls it and
 * completes the waiting request whose correlation id a message's {@code correlation_id}
 * attribute names, deleting that message. A late answer to a request that timed out here is
 * deleted; one no request here knows (another instance's) comes back after the queue's
 * visibility timeout for whoever waits for it, so instances sharing a reply queue answer slowly:
 * give each instance its own reply queue.
 */
final class SqsReplies {

    private static final Logger LOG = LoggerFactory.getLogger(SqsReplies.class);

    private final io.caravan.binding.Answers answers = new io.caravan.binding.Answers();
    private final SqsClient sqs;
    private final String queueUrl;

    SqsReplies(SqsClient sqs, String queueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        Thread reader = new Thread(this::read, "caravan-sqs-replies");
        reader.setDaemon(true);
        reader.start();
    }

    io.caravan.binding.Answers answers() {
        return answers;
    }

    private void read() {
        while (true) {
            try {
                for (Message m : sqs.receiveMessage(b -> b.queueUrl(queueUrl).waitTimeSeconds(5).maxNumberOfMessages(10)
                        .messageAttributeNames("All")).messages()) {
                    var attribute = m.messageAttributes().get("correlation_id");
                    String id = attribute == null ? null : attribute.stringValue();
                    Map<String, String> attributes = new LinkedHashMap<>();
                    m.messageAttributes().forEach((k, v) -> attributes.put(k, v.stringValue()));
                    // answered here, or the late answer to a request that timed out here: done with it;
                    // else another instance's: it comes back after the visibility timeout for whoever waits
                    if (answers.answer(id, new Provisioner.Reply(m.body(), attributes)) || answers.late(id)) {
                        sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                    }
                }
            } catch (Exception e) {
                LOG.warn("reading replies from {} failed; reading on: {}", queueUrl, e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
