package io.caravan.brokers;

import java.net.URI;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.CreateQueueRequest;

/** An in-process SQS server (ElasticMQ) for {@code caravan dev} and the integration tests. */
public final class EmbeddedSqs implements AutoCloseable {

    /** ElasticMQ accepts any key; these are what the dev credentials use. */
    public static final String REGION = "us-east-1";
    public static final String ACCESS_KEY = "x";
    public static final String SECRET_KEY = "x";

    private final SQSRestServer server;
    private final int port;

    private EmbeddedSqs(SQSRestServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts on 127.0.0.1:{@code port}; 0 picks a free port. */
    public static EmbeddedSqs start(int port) {
        // with a fixed address ElasticMQ writes it into queue URLs; a dynamic port has none to write
        SQSRestServer server = (port == 0
                ? SQSRestServerBuilder.withInterface("127.0.0.1").withDynamicPort()
                : SQSRestServerBuilder.withInterface("127.0.0.1").withPort(port)
                        .withServerAddress(new org.elasticmq.NodeAddress("http", "127.0.0.1", port, "")))
                .withAWSRegion(REGION)
                .start();
        int bound = server.waitUntilStarted().localAddress().getPort();
        return new EmbeddedSqs(server, bound);
    }

    /** The URL a credential's {@code endpoint} field points at. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Creates a queue and returns its URL. */
    /** Creates the queue; a name ending {@code .fifo} makes a FIFO queue with content-based deduplication. */
    public String createQueue(String name) {
        try (SqsClient client = client()) {
            CreateQueueRequest.Builder request = CreateQueueRequest.builder().queueName(name);
            if (name.endsWith(".fifo")) {
                request.attributesWithStrings(java.util.Map.of("FifoQueue", "true", "ContentBasedDeduplication", "true"));
            }
            return client.createQueue(request.build()).queueUrl();
        }
    }

    /** A client for test set-up and inspection; the caller closes it. */
    public SqsClient client() {
        return SqsClient.builder()
                .endpointOverride(URI.create(endpoint()))
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .build();
    }

    @Override
    public void close() {
        server.stopAndWait();
    }
}
