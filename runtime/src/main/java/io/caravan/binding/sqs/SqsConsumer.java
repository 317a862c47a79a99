package io.caravan.binding.sqs;

import io.caravan.binding.Lanes;
import io.caravan.binding.Messages;
import io.caravan.spec.Capabilities;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageRequest;

/**
 * A few long-poll ReceiveMessage loops; each message is its own exchange, run on one of
 * {@code threads} workers without the poller waiting for it. With {@code ordering=key} the messages
 * of one FIFO message group run one after another: SQS hands out a group's next messages only once
 * the ones it delivered are deleted, so a group can only meet itself inside one receive, and there
 * its messages wait in a lane ({@link Lanes}). When one of them fails, the rest of its lane is not
 * run: all of them come back, in order, after the visibility timeout
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues-understanding-logic.html).
 * A run that completes (or whose failure was handled, e.g. dead-lettered) is
 * deleted with DeleteMessageBatch; a failed run is not, so SQS delivers it again after the queue's
 * visibility timeout, and its redrive policy moves it to the queue's dead-letter queue after
 * maxReceiveCount receives. The message is on the exchange as {@link Messages#RECEIVED}.
 */
final class SqsConsumer extends DefaultConsumer implements Suspendable {

    private static final Logger LOG = LoggerFactory.getLogger(SqsConsumer.class);
    /** DeleteMessageBatch requests in progress at once. */
    private static final int DELETERS = 2;

    private final SqsEndpoint endpoint;
    private ExecutorService pollers;
    private Batcher<Message> deletes;
    /** Runs dispatched and not yet deleted or failed; a permit per run. */
    private Semaphore inFlight;
    /** Pollers of an earlier start that are still in a long poll see this change and end. */
    private volatile Object generation;
    private ReceiveMessageRequest receive;
    private volatile boolean redrives;
    private final Lanes<Message> lanes = new Lanes<>();
    private ExecutorService workers;

    SqsConsumer(SqsEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        // as camel-aws2-sqs does: no queue, or SQS unreachable, fails the route's start, and
        // Caravan starts the workflow once SQS answers (WorkflowDeployer)
        String queueUrl = endpoint.queueUrl();
        // a queue with a redrive policy dead-letters by itself after maxReceiveCount receives:
        // a workflow's default dead letter gives way to it (Messages.SOURCE_DEAD_LETTERS)
        redrives = endpoint.client().getQueueAttributes(b -> b.queueUrl(queueUrl)
                .attributeNames(QueueAttributeName.REDRIVE_POLICY)).attributes().containsKey(QueueAttributeName.REDRIVE_POLICY);
        receive = ReceiveMessageRequest.builder()
                .queueUrl(queueUrl)
                .maxNumberOfMessages(endpoint.maxMessagesPerPoll)
                .waitTimeSeconds(endpoint.waitTimeSeconds)
                // without these SQS returns no user attributes and no SentTimestamp
                .messageAttributeNames("All")
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL)
                .build();
        if (endpoint.ordering == Capabilities.RunOrder.KEY && !SqsBinding.isFifo(endpoint.queueName())) {
            LOG.warn("SQS queue {} is a standard queue: its messages have no message group, so ordering: key keeps no"
                    + " order and its runs start side by side", endpoint.queueName());
        }
        workers = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "CaravanSqsRuns-" + endpoint.queueName(), endpoint.threads);
        Semaphore permits = new Semaphore(endpoint.maxInFlight);
        inFlight = permits;
        deletes = new Batcher<>(m -> 0, Long.MAX_VALUE, batch -> delete(queueUrl, batch, permits), DELETERS,
                endpoint.getComponent().pool());
        startPolling();
    }

    private void startPolling() {
        Object started = new Object();
        generation = started;
        Semaphore permits = inFlight;
        pollers = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "caravan-sqs-receive", endpoint.concurrentConsumers);
        for (int i = 0; i < endpoint.concurrentConsumers; i++) {
            pollers.execute(() -> poll(started, permits));
        }
    }

    /**
     * Stops receiving. A poller still in a long poll is left to end by itself: what it receives
     * then is not dispatched and comes back after the visibility timeout.
     */
    private void stopPolling() {
        generation = null;
        if (pollers != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(pollers);
            pollers = null;
        }
    }

    /*
     * Suspendable: on shutdown Camel's DefaultShutdownStrategy suspends such a consumer (no new
     * messages), waits for the runs in flight, and only then stops it; a consumer that is not
     * Suspendable is stopped first.
     */
    @Override
    protected void doSuspend() {
        stopPolling();
    }

    @Override
    protected void doResume() {
        startPolling();
    }

    private void poll(Object started, Semaphore permits) {
        while (generation == started) {
            List<Message> messages;
            try {
                messages = endpoint.client().receiveMessage(receive).messages();
            } catch (RuntimeException e) {
                if (generation != started) {
                    return;
                }
                getExceptionHandler().handleException("cannot receive from SQS queue " + endpoint.queueName(), e);
                if (!pause()) {
                    return;
                }
                continue;
            }
            for (Message m : messages) {
                try {
                    permits.acquire();
                } catch (InterruptedException e) {
                    // stopping: what was not dispatched is received again after the visibility timeout
                    return;
                }
                if (generation != started) {
                    permits.release();
                    return;
                }
                dispatch(m, permits);
            }
        }
    }

    /** After a failed receive, so an unreachable SQS is not asked in a tight loop. */
    private static boolean pause() {
        try {
            Thread.sleep(1000);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    /** Takes the message: starts its run, or queues it behind the run of its message group. */
    private void dispatch(Message m, Semaphore permits) {
        Object lane = endpoint.ordering == Capabilities.RunOrder.KEY
                ? m.attributes().get(MessageSystemAttributeName.MESSAGE_GROUP_ID) : null;
        if (lanes.enter(lane, m)) {
            if (endpoint.inline) {
                run(m, lane, permits); // on this poller: the workflow has no step that blocks
            } else {
                start(m, lane, permits);
            }
        }
    }

    /** Runs the message on a worker: also where a group's next message goes once the one before it finished. */
    private void start(Message m, Object lane, Semaphore permits) {
        try {
            workers.execute(() -> run(m, lane, permits));
        } catch (RejectedExecutionException e) {
            failed(m, lane, permits); // stopping: received again after the visibility timeout
        }
    }

    private void run(Message m, Object lane, Semaphore permits) {
        Batcher<Message> deleting = deletes;
        Exchange exchange = createExchange(false);
        exchange.getMessage().setBody(m.body());
        exchange.setProperty(Messages.RECEIVED, SqsProvisioner.toReceived(m.messageId(), m.body(), m.messageAttributes(),
                m.attributes(), m.receiptHandle()));
        if (redrives) {
            exchange.setProperty(Messages.SOURCE_DEAD_LETTERS, true);
        }
        getAsyncProcessor().process(exchange, doneSync -> {
            boolean failed = exchange.isFailed() || exchange.isRollbackOnly();
            releaseExchange(exchange, false);
            if (failed) {
                // the route's error handler has logged the failure already
                LOG.debug("not deleting SQS message {}: its run failed; SQS delivers it again after the visibility timeout",
                        m.messageId());
                failed(m, lane, permits);
            } else {
                deleting.add(m); // its permit is released once the delete is answered
                Message following = lanes.leave(lane, m);
                if (following != null) {
                    start(following, lane, permits);
                }
            }
        });
    }

    /** Not deleted: it comes back after the visibility timeout, and so does every message of its group that waited for it. */
    private void failed(Message m, Object lane, Semaphore permits) {
        List<Message> behind = lanes.dropBehind(lane, m);
        if (!behind.isEmpty()) {
            LOG.info("SQS queue {}: {} message(s) of group {} wait for failed message {} and are received again with it",
                    endpoint.queueName(), behind.size(), lane, m.messageId());
        }
        permits.release(1 + behind.size());
    }

    private void delete(String queueUrl, List<Message> batch, Semaphore permits) {
        try {
            DeleteMessageBatchRequestEntry[] entries = new DeleteMessageBatchRequestEntry[batch.size()];
            for (int i = 0; i < entries.length; i++) {
                entries[i] = DeleteMessageBatchRequestEntry.builder().id(String.valueOf(i))
                        .receiptHandle(batch.get(i).receiptHandle()).build();
            }
            DeleteMessageBatchResponse response = endpoint.client().deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(entries));
            response.failed().forEach(f -> LOG.warn("SQS did not delete message {} from {}; it will be received again: {}: {}",
                    batch.get(Integer.parseInt(f.id())).messageId(), endpoint.queueName(), f.code(), f.message()));
        } catch (RuntimeException e) {
            getExceptionHandler().handleException("cannot delete " + batch.size() + " message(s) from SQS queue "
                    + endpoint.queueName() + "; they will be received again", e);
        } finally {
            permits.release(batch.size());
        }
    }

    /**
     * Stops receiving, waits for the runs in flight and their deletes (bounded by the shutdown
     * timeout, caravan.shutdown.timeout), then stops the deleters. What did not finish is not
     * deleted and is received again after the visibility timeout.
     */
    @Override
    protected void doStop() throws Exception {
        stopPolling();
        var shutdown = getEndpoint().getCamelContext().getShutdownStrategy();
        long waitMillis = shutdown.getTimeUnit().toMillis(shutdown.getTimeout());
        if (inFlight != null && !inFlight.tryAcquire(endpoint.maxInFlight, waitMillis, TimeUnit.MILLISECONDS)) {
            LOG.warn("SQS queue {}: runs still in flight after {} ms; they are not deleted and will be received again",
                    endpoint.queueName(), waitMillis);
        }
        if (deletes != null) {
            deletes.stop();
        }
        if (workers != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownGraceful(workers);
            workers = null;
        }
        super.doStop();
    }
}
