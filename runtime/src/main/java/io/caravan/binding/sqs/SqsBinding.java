package io.caravan.binding.sqs;

import static io.caravan.binding.BindingSupport.q;

import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Provisioner;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import io.caravan.workflow.NodeSpecs;
import java.net.URI;
import java.util.List;
import java.util.Set;

/**
 * AWS SQS on Caravan's own {@code caravan-sqs} component ({@link SqsComponent}): batched receive,
 * send and delete. Endpoints reference the credential's {@code SqsClient} as
 * {@code client=#...}, so keys never appear in a URI.
 */
public final class SqsBinding implements Binding {

    public static final String QUEUE_TYPE = "sqs";

    /** send_message to a FIFO queue: the message group, within which SQS keeps order. */
    public static final Field MESSAGE_GROUP_ID = Field.template("message_group_id", "FIFO queues (names ending .fifo):"
            + " the message group; SQS keeps order within a group and delivers a group's next message only after the"
            + " previous one was deleted. Required there").withExample("\"{{input.customer_id}}\"");
    /** send_message to a FIFO queue: the deduplication id. */
    public static final Field DEDUPLICATION_ID = Field.template("deduplication_id", "FIFO queues: SQS drops a message"
            + " whose deduplication id it saw in the last 5 minutes; without it the queue must have content-based"
            + " deduplication (FIFO queues Caravan creates have it)").withExample("\"{{input.order_id}}\"");

    /** send_message: wait for an answer on a reply queue. */
    public static final Field REPLY = io.caravan.binding.BindingSupport.reply(Field.string("reply_to", "the queue"
            + " (name or URL) answers come to; sent in the reply_to attribute; one per Caravan instance")
            .asRequired().withExample("prices-replies"), "SQS: the request carries reply_to and correlation_id"
            + " attributes; the reply queue is long-polled");

    /** DelaySeconds' limit. */
    static final java.time.Duration MAX_DELAY = java.time.Duration.ofMinutes(15);

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "AWS SQS",
            new CredentialSpec("queue_aws_sqs", "an AWS account's SQS in one region, or an SQS-compatible server", List.of(
                    Field.string("region", "AWS region").asRequired().withExample("us-east-1"),
                    Field.string("access_key_id", "AWS access key id").asRequired().asSecret().withExample("${SQS_KEY}"),
                    Field.string("secret_access_key", "AWS secret access key").asRequired().asSecret()
                            .withExample("${SQS_SECRET}"),
                    Field.string("endpoint", "URL of an SQS-compatible server (ElasticMQ, LocalStack) instead of AWS")
                            .withExample("http://127.0.0.1:9324"))),
            List.of(MESSAGE_GROUP_ID, DEDUPLICATION_ID, REPLY), List.of(BindingSupport.THREADS), Set.of(),
            new Capabilities("the queue's redrive policy: a failed message is not deleted, and after maxReceiveCount"
                    + " receives SQS moves it to the queue's dead-letter queue", "{source}-dlq",
                    Capabilities.Ordering.MESSAGE_GROUP, true, SqsBinding.MAX_DELAY, false, true,
                    List.of(Capabilities.RunOrder.NONE, Capabilities.RunOrder.KEY)));

    private final SqsProvisioner provisioner = new SqsProvisioner();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public Provisioner provisioner() {
        return provisioner;
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
     * after the visibility timeout, which is also what the queue's redrive policy needs. A FIFO
     * queue's trigger keeps its message groups' order ({@code ordering: key}) unless the node says
     * {@code none}; a standard queue's messages have no group, so it runs them side by side.
     */
    @Override
    public String consumerUri(Channel channel, boolean nativeDeadLetter) {
        long wait = Math.min(20, Math.max(0, BindingSupport.waitTime(channel).toSeconds()));
        int max = Math.min(10, BindingSupport.maxMessages(channel));
        String uri = base(channel) + "&waitTimeSeconds=" + wait + "&maxMessagesPerPoll=" + max;
        if (BindingSupport.field(channel, NodeSpecs.Receive.ORDERING).isEmpty() && isFifo(channel.address())) {
            uri += "&ordering=" + Capabilities.RunOrder.KEY.wireName();
        }
        return uri + BindingSupport.orderingOptions(channel);
    }

    @Override
    public String producerUri(Channel channel) {
        return base(channel);
    }

    /** Whether the queue is a FIFO queue (its name ends with .fifo). */
    static boolean isFifo(String address) {
        return address != null && queueName(address).endsWith(".fifo");
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
