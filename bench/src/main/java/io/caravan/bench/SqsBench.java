package io.caravan.bench;

import io.caravan.brokers.EmbeddedSqs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import org.apache.camel.builder.RouteBuilder;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/** SQS: the in-process ElasticMQ server, and the four pipes on it. */
final class SqsBench extends Broker {

    /** Threads of the final consumer. */
    private static final int THREADS = 4;
    /**
     * Threads of the raw pipe, each receive → send batch → delete batch in turn. Measured on the
     * quiet 2-core machine (20,000 messages): 4 threads 866 msg/s, 8 threads 1,472, 16 threads 1,178.
     */
    private static final int RAW_THREADS = 8;
    /** Threads sending at the fixed rate: SQS has no asynchronous send in SqsClient. */
    private static final int LOADER_THREADS = 8;

    private final EmbeddedSqs sqs;
    private final SqsClient client;

    SqsBench() {
        sqs = EmbeddedSqs.start(0);
        client = sqs.client();
        notes.add("SQS: in-process ElasticMQ 1.7.1 on " + sqs.endpoint());
    }

    @Override
    String name() {
        return "sqs";
    }

    @Override
    int drainCount() {
        return 20_000;
    }

    @Override
    int fixedRate() {
        return 200;
    }

    @Override
    String queueType() {
        return "sqs";
    }

    @Override
    String credential(String id, String group) {
        return id + ": {type: queue_aws_sqs, region: " + EmbeddedSqs.REGION + ", endpoint: \"" + sqs.endpoint()
                + "\", access_key_id: " + EmbeddedSqs.ACCESS_KEY + ", secret_access_key: " + EmbeddedSqs.SECRET_KEY + "}\n";
    }

    EmbeddedSqs server() {
        return sqs;
    }

    private String url(String queue) {
        return client.getQueueUrl(b -> b.queueName(queue)).queueUrl();
    }

    @Override
    void create(String src, String dst, int partitions) {
        sqs.createQueue(src);
        sqs.createQueue(dst);
    }

    @Override
    void delete(String src, String dst) {
        for (String q : List.of(src, dst)) {
            try {
                client.deleteQueue(b -> b.queueUrl(url(q)));
            } catch (Exception e) {
                // memory only
            }
        }
    }

    @Override
    long remaining(String src) {
        Map<QueueAttributeName, String> a = client.getQueueAttributes(b -> b.queueUrl(url(src))
                .attributeNames(QueueAttributeName.ALL)).attributes();
        return Long.parseLong(a.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0"))
                + Long.parseLong(a.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "0"))
                + Long.parseLong(a.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED, "0"));
    }

    @Override
    Loader loader(String src) {
        String url = url(src);
        ExecutorService pool = Executors.newFixedThreadPool(LOADER_THREADS);
        LinkedBlockingQueue<Future<?>> sent = new LinkedBlockingQueue<>();
        return new Loader() {
            @Override
            public void send(long id) {
                // stamped when the request is made, on the sending thread
                sent.add(pool.submit(() -> client.sendMessage(b -> b.queueUrl(url).messageBody(Payload.message(id)))));
            }

            @Override
            public void flush() {
                try {
                    for (Future<?> f; (f = sent.poll()) != null; ) {
                        f.get();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("loading " + src + " failed: " + e, e);
                }
            }

            @Override
            public void preload(long from, long count, java.util.function.LongConsumer progress) {
                java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
                for (long start = from; start < from + count; start += 10) {
                    long first = start;
                    int n = (int) Math.min(10, from + count - start);
                    sent.add(pool.submit(() -> {
                        List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            entries.add(SendMessageBatchRequestEntry.builder().id("m" + i)
                                    .messageBody(Payload.message(first + i)).build());
                        }
                        SendMessageBatchResponse r = client.sendMessageBatch(b -> b.queueUrl(url).entries(entries));
                        if (!r.failed().isEmpty()) {
                            throw new IllegalStateException("batch send failed: " + r.failed());
                        }
                        long d = done.addAndGet(n);
                        if (d % 2000 < n) {
                            progress.accept(d);
                        }
                        return null;
                    }));
                }
                flush();
                progress.accept(count);
            }

            @Override
            public void close() {
                pool.shutdownNow();
            }
        };
    }

    @Override
    AutoCloseable sink(String dst, Recorder recorder) {
        String url = url(dst);
        List<Loop> loops = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            loops.add(Loop.start("sink-" + dst + "-" + t, () -> { }, () -> {
                List<Message> got = client.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(1))
                        .messages();
                if (got.isEmpty()) {
                    return;
                }
                List<DeleteMessageBatchRequestEntry> delete = new ArrayList<>();
                for (int i = 0; i < got.size(); i++) {
                    recorder.record(got.get(i).body());
                    delete.add(DeleteMessageBatchRequestEntry.builder().id("d" + i).receiptHandle(got.get(i).receiptHandle()).build());
                }
                client.deleteMessageBatch(b -> b.queueUrl(url).entries(delete));
            }, () -> { }));
        }
        return () -> {
            for (Loop l : loops) {
                l.close();
            }
        };
    }

    @Override
    Pipe pipe(Variant variant, String src, String dst) {
        String connection = "region=" + EmbeddedSqs.REGION + "&accessKey=RAW(" + EmbeddedSqs.ACCESS_KEY + ")&secretKey=RAW("
                + EmbeddedSqs.SECRET_KEY + ")&overrideEndpoint=true&uriEndpointOverride=" + sqs.endpoint();
        return switch (variant) {
            case RAW -> new RawPipe(src, dst);
            // https://camel.apache.org/components/4.14.x/aws2-sqs-component.html: deleteAfterRead=true
            // is the default and deletes a message only once its exchange completed, after the send.
            // Only the connection to ElasticMQ is set. (Default polling: one message per poll,
            // a poll every 500 ms.)
            case CAMEL -> new CamelPipe("sqs-camel", route(src, dst, connection, connection));
            // Tuned as that page suggests: maxMessagesPerPoll=10 (SQS's most per request),
            // concurrentConsumers, long polling (waitTimeSeconds), and greedy polling (poll again at
            // once while messages come). No batch send: the producer's sendBatchMessage needs the
            // messages aggregated into one exchange, and the consumer deletes each message when its
            // own exchange completes, which an aggregator does before the batch is sent: that is
            // not at-least-once.
            case CAMEL_TUNED -> new CamelPipe("sqs-camel-tuned", route(src, dst,
                    connection + "&maxMessagesPerPoll=10&concurrentConsumers=4&waitTimeSeconds=5&greedy=true", connection));
            case CARAVAN -> new CaravanPipe(this, src, dst, 1);
            case CARAVAN_TRACED -> new CaravanPipe(this, src, dst, 1).traced();
        };
    }

    private static RouteBuilder route(String src, String dst, String consumerOptions, String producerOptions) {
        return new RouteBuilder() {
            @Override
            public void configure() {
                from("aws2-sqs://" + src + "?" + consumerOptions)
                        .process(e -> e.getMessage().setBody(Payload.transform(e.getMessage().getBody(String.class))))
                        .to("aws2-sqs://" + dst + "?" + producerOptions);
            }
        };
    }

    /**
     * SqsClient on a few threads: receive 10 → SendMessageBatch → DeleteMessageBatch of the
     * messages whose send succeeded (a failed one comes back after its visibility timeout).
     */
    private final class RawPipe implements Pipe {
        private final String src;
        private final String dst;
        private final List<Loop> loops = new ArrayList<>();

        RawPipe(String src, String dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        public void start() {
            String in = url(src);
            String out = url(dst);
            for (int t = 0; t < RAW_THREADS; t++) {
                loops.add(Loop.start("raw-" + src + "-" + t, () -> { }, () -> {
                    List<Message> got = client.receiveMessage(b -> b.queueUrl(in).maxNumberOfMessages(10).waitTimeSeconds(1))
                            .messages();
                    if (got.isEmpty()) {
                        return;
                    }
                    List<SendMessageBatchRequestEntry> send = new ArrayList<>();
                    for (int i = 0; i < got.size(); i++) {
                        send.add(SendMessageBatchRequestEntry.builder().id(String.valueOf(i))
                                .messageBody(Payload.transform(got.get(i).body())).build());
                    }
                    SendMessageBatchResponse r = client.sendMessageBatch(b -> b.queueUrl(out).entries(send));
                    List<DeleteMessageBatchRequestEntry> delete = new ArrayList<>();
                    r.successful().forEach(ok -> delete.add(DeleteMessageBatchRequestEntry.builder().id(ok.id())
                            .receiptHandle(got.get(Integer.parseInt(ok.id())).receiptHandle()).build()));
                    if (!delete.isEmpty()) {
                        client.deleteMessageBatch(b -> b.queueUrl(in).entries(delete));
                    }
                }, () -> { }));
            }
        }

        @Override
        public void close() throws Exception {
            for (Loop l : loops) {
                l.close();
            }
        }
    }

    @Override
    public void close() {
        client.close();
        sqs.close();
    }
}
