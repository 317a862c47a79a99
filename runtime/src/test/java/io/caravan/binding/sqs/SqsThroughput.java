package io.caravan.binding.sqs;

import io.caravan.brokers.EmbeddedSqs;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * By hand, not a test: an SQS → SQS pipe of 1 KiB JSON messages through a raw batched SqsClient
 * and through a Caravan workflow, against in-process ElasticMQ. Build with
 * {@code ./mvnw -o -q test-compile}, then
 * <pre>
 * java -cp target/test-classes:target/classes:src/test/perf:$(cat cp.txt) io.caravan.binding.sqs.SqsThroughput [messages] [raw threads]
 * </pre>
 * ({@code cp.txt} from {@code ./mvnw -o -q dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=test}).
 * {@code src/test/perf} holds the SDK's global interceptor list, so every client counts its
 * requests; without it the requests per message are not shown.
 */
public final class SqsThroughput {

    /** Requests per SQS operation, from every client in this JVM (SDK global interceptor). */
    static final Map<String, LongAdder> REQUESTS = new ConcurrentHashMap<>();

    public static final class Counter implements ExecutionInterceptor {
        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            REQUESTS.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new LongAdder())
                    .increment();
        }
    }

    private static final String BODY_PAD = "x".repeat(1000);

    public static void main(String[] args) throws Exception {
        int messages = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rawThreads = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        try (EmbeddedSqs sqs = EmbeddedSqs.start(0); SqsClient client = sqs.client()) {
            List<String> results = new ArrayList<>();
            int rounds = Integer.getInteger("rounds", 3);
            for (int round = 1; round <= rounds; round++) {
                results.add(raw(sqs, client, messages, rawThreads, round));
                results.add(caravan(sqs, client, messages, round));
            }
            System.out.println();
            results.forEach(System.out::println);
        }
        System.exit(0);
    }

    private static String raw(EmbeddedSqs sqs, SqsClient client, int messages, int threads, int round) throws Exception {
        String from = sqs.createQueue("raw-in-" + round);
        String to = sqs.createQueue("raw-out-" + round);
        seed(client, from, messages);
        REQUESTS.clear();
        long cpu = cpuNanos();
        AtomicInteger moved = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            pool.execute(() -> {
                while (moved.get() < messages) {
                    List<Message> got = client.receiveMessage(b -> b.queueUrl(from).maxNumberOfMessages(10)
                            .waitTimeSeconds(1).messageAttributeNames("All").messageSystemAttributeNames(
                                    software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName.ALL)).messages();
                    if (got.isEmpty()) {
                        continue;
                    }
                    List<SendMessageBatchRequestEntry> sends = new ArrayList<>();
                    List<DeleteMessageBatchRequestEntry> deletes = new ArrayList<>();
                    for (Message m : got) {
                        String id = String.valueOf(sends.size());
                        sends.add(SendMessageBatchRequestEntry.builder().id(id).messageBody(m.body()).build());
                        deletes.add(DeleteMessageBatchRequestEntry.builder().id(id).receiptHandle(m.receiptHandle()).build());
                    }
                    client.sendMessageBatch(b -> b.queueUrl(to).entries(sends));
                    client.deleteMessageBatch(b -> b.queueUrl(from).entries(deletes));
                    moved.addAndGet(got.size());
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        return report("raw SqsClient (" + threads + " threads)", round, messages, seconds, cpuNanos() - cpu, count(client, to));
    }

    private static String caravan(EmbeddedSqs sqs, SqsClient client, int messages, int round) throws Exception {
        String from = sqs.createQueue("caravan-in-" + round);
        String to = sqs.createQueue("caravan-out-" + round);
        seed(client, from, messages);
        Path home = Files.createTempDirectory("caravan-throughput");
        Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("workflows"));
        Files.writeString(home.resolve("config/credentials.yaml"), "sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: \""
                + sqs.endpoint() + "\", access_key_id: x, secret_access_key: x}\n");
        Files.writeString(home.resolve("workflows/pipe.yaml"), """
                id: pipe
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: caravan-in-%1$d, wait_time: 1s, credential_id: sqs}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: caravan-out-%1$d, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: out}]
                """.formatted(round));
        try (CaravanRuntime runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start()) {
            // measured from here: start-up is not the pipe's speed
            long start = System.nanoTime();
            int before = count(client, to);
            REQUESTS.clear();
            long cpu = cpuNanos();
            while (count(client, to) < messages) {
                Thread.sleep(20);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            String line = report("caravan workflow", round, messages - before, seconds, cpuNanos() - cpu, count(client, to));
            long deadline = System.currentTimeMillis() + 30_000;
            while (left(client, from) > 0 && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            return line + ", source left " + left(client, from);
        }
    }

    /** CPU time of this whole JVM (ElasticMQ included, which serves the same requests either way). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static String report(String what, int round, int messages, double seconds, long cpuNanos, int arrived) {
        long receives = requests("ReceiveMessage");
        long sends = requests("SendMessageBatch") + requests("SendMessage");
        long deletes = requests("DeleteMessageBatch") + requests("DeleteMessage");
        return String.format("round %d %-28s %6d msg in %5.2f s = %6.0f msg/s; CPU %.0f us/msg; requests/msg %.3f (receive %.3f, send %.3f, delete %.3f); arrived %d",
                round, what, messages, seconds, messages / seconds, cpuNanos / 1e3 / messages, (receives + sends + deletes) / (double) messages,
                receives / (double) messages, sends / (double) messages, deletes / (double) messages, arrived);
    }

    private static long requests(String operation) {
        LongAdder n = REQUESTS.get(operation);
        return n == null ? 0 : n.sum();
    }

    private static void seed(SqsClient client, String url, int messages) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int i = 0; i < messages; i += 10) {
            int first = i;
            pool.execute(() -> {
                List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
                for (int n = first; n < Math.min(messages, first + 10); n++) {
                    String body = "{\"n\": " + n + ", \"pad\": \"" + BODY_PAD + "\"}";
                    entries.add(SendMessageBatchRequestEntry.builder().id(String.valueOf(entries.size())).messageBody(body).build());
                }
                client.sendMessageBatch(b -> b.queueUrl(url).entries(entries));
            });
        }
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.MINUTES);
    }

    private static int count(SqsClient client, String url) {
        return Integer.parseInt(client.getQueueAttributes(b -> b.queueUrl(url)
                .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES)).attributes()
                .get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES));
    }

    private static int left(SqsClient client, String url) {
        Map<QueueAttributeName, String> a = client.getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                .attributes();
        return Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                + Integer.parseInt(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
    }
}
