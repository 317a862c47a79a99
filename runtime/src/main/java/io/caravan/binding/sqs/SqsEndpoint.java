package io.caravan.binding.sqs;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import software.amazon.awssdk.services.sqs.SqsClient;

/** One SQS queue reached through a client from the registry; see {@link SqsComponent}. */
public final class SqsEndpoint extends DefaultEndpoint {

    @Override
    public SqsComponent getComponent() {
        return (SqsComponent) super.getComponent();
    }


    private final SqsClient client;
    private final String queueName;
    private volatile String queueUrl;
    /*
     * ReceiveMessage takes MaxNumberOfMessages 1 to 10 and WaitTimeSeconds up to 20 (long polling:
     * the call returns as soon as a message is there, so an idle queue costs few requests):
     * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
     */
    /** ReceiveMessage WaitTimeSeconds. */
    int waitTimeSeconds = 20;
    /** ReceiveMessage MaxNumberOfMessages. */
    int maxMessagesPerPoll = 10;
    /** How many ReceiveMessage calls are open at once. */
    int concurrentConsumers = 4;
    /** Runs taken and not yet deleted (or failed), per consumer. */
    int maxInFlight = 200;
    /** key: a FIFO queue's messages of one message group run one after another; none: side by side. */
    io.caravan.spec.Capabilities.RunOrder ordering = io.caravan.spec.Capabilities.RunOrder.NONE;
    /** Worker threads that run the messages, so a blocking step holds no poller. */
    int threads = io.caravan.binding.BindingSupport.DEFAULT_THREADS;
    /** Runs start on the poller that received them (the workflow has no blocking step): no hand-off. */
    boolean inline;

    SqsEndpoint(String uri, SqsComponent component, SqsClient client, String queueName, String queueUrl) {
        super(uri, component);
        this.client = client;
        this.queueName = queueName;
        this.queueUrl = queueUrl;
    }

    SqsClient client() {
        return client;
    }

    String queueName() {
        return queueName;
    }

    /**
     * The queue URL, looked up once by name (GetQueueUrl). Throws QueueDoesNotExistException
     * when there is no such queue, and the client's exception when SQS cannot be reached.
     */
    String queueUrl() {
        String url = queueUrl;
        if (url == null) {
            url = client.getQueueUrl(b -> b.queueName(queueName)).queueUrl();
            queueUrl = url;
        }
        return url;
    }

    @Override
    public Producer createProducer() {
        return new SqsProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        SqsConsumer consumer = new SqsConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }
}
