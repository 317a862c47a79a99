package io.caravan.faults;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import io.caravan.binding.Bindings;
import io.caravan.testing.TestBrokers;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * One broker as a fault scenario's own client sees it (never through Caravan): make an address,
 * fill it, count and read what is there, delete it. The address of a Kafka topic, SQS queue,
 * RabbitMQ queue or Redis stream is its name; the credential id is the queue type.
 */
abstract class End {

    /** The four brokers, on the servers the tests use (in-process Kafka and ElasticMQ, the system RabbitMQ and Redis). */
    static End of(String queueType) {
        return switch (queueType) {
            case "kafka" -> new Kafka(TestBrokers.kafka().bootstrapServers());
            case "sqs" -> new Sqs(TestBrokers.sqs().endpoint());
            case "rabbitmq" -> new Rabbit("127.0.0.1", TestBrokers.RABBITMQ_PORT);
            case "redis" -> new Redis(TestBrokers.REDIS_URL);
            default -> throw new IllegalArgumentException(queueType);
        };
    }

    private String credentialId;

    /** The queue type. */
    abstract String type();

    /** The id of this broker's credential: the queue type unless {@link #named} gave another (two brokers of a type). */
    String credentialId() {
        return credentialId == null ? type() : credentialId;
    }

    End named(String id) {
        this.credentialId = id;
        return this;
    }

    /** The credentials file's line for this broker at {@code address} (host:port or URL as the credential wants it). */
    abstract String credential(String group);

    /** Makes the address exist (a topic, a queue; a stream appears with its first entry). */
    abstract void create(String address) throws Exception;

    abstract void send(String address, List<String> bodies) throws Exception;

    /** Messages at the address now; -1 while the broker does not answer. */
    abstract long count(String address);

    /** Every body at the address now, taken off it (Kafka: read from the beginning). */
    abstract List<String> take(String address) throws Exception;

    /** Deletes the address and what is in it. */
    abstract void delete(String address) throws Exception;

    /**
     * Messages of {@code source} that workflow {@code workflowId} took and never acknowledged
     * (Kafka: not committed by {@code group}; Redis: pending in the workflow's group; SQS and
     * RabbitMQ: still in the queue, in flight or not). 0 once a scenario settled.
     */
    abstract long unacknowledged(String source, String group, String workflowId) throws Exception;

    /** Receive settings a scenario's trigger adds for this broker (YAML flow-map entries ending in ", "). */
    String receiveExtras() {
        return "";
    }

    /** The dead letter Caravan uses for {@code source} when a workflow names none: from the broker's own spec. */
    String defaultDeadLetter(String source) {
        return Bindings.forQueueType(type()).orElseThrow().spec().capabilities().defaultDeadLetter()
                .replace("{source}", source);
    }

    // ---- the four

    static final class Kafka extends End {

        private final String bootstrap;

        Kafka(String bootstrap) {
            this.bootstrap = bootstrap;
        }

        private Properties properties() {
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            return p;
        }

        @Override
        String type() {
            return "kafka";
        }

        @Override
        String credential(String group) {
            return credentialId() + ": {type: queue_kafka, brokers: [\"" + bootstrap + "\"], consumer_group: " + group + "}";
        }

        @Override
        void create(String address) {
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(address, 1, (short) 1))).all().get();
            } catch (Exception e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException)) {
                    throw new IllegalStateException("create topic " + address, e);
                }
            }
        }

        @Override
        void send(String address, List<String> bodies) {
            Properties p = properties();
            p.put("linger.ms", "20");
            p.put("acks", "all");
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
                bodies.forEach(b -> producer.send(new ProducerRecord<>(address, b)));
                producer.flush();
            }
        }

        @Override
        long count(String address) {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties(), new StringDeserializer(),
                    new StringDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor(address, Duration.ofSeconds(5)).stream()
                        .map(i -> new TopicPartition(address, i.partition())).toList();
                return consumer.endOffsets(partitions, Duration.ofSeconds(5)).values().stream().mapToLong(Long::longValue).sum();
            } catch (Exception e) {
                return -1;
            }
        }

        @Override
        List<String> take(String address) {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties(), new StringDeserializer(),
                    new StringDeserializer())) {
                List<TopicPartition> partitions = consumer.partitionsFor(address).stream()
                        .map(i -> new TopicPartition(address, i.partition())).toList();
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                List<String> values = new ArrayList<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("could not read " + address + " to its end within 60 s");
                    }
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                        values.add(r.value());
                    }
                }
                return values;
            }
        }

        @Override
        void delete(String address) throws Exception {
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.deleteTopics(List.of(address)).all().get();
            }
        }

        @Override
        long unacknowledged(String source, String group, String workflowId) throws Exception {
            try (var admin = org.apache.kafka.clients.admin.Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                // the credential's consumer_group is the prefix of the workflow's group
                var committed = admin.listConsumerGroupOffsets(group + "." + workflowId).partitionsToOffsetAndMetadata()
                        .get(10, java.util.concurrent.TimeUnit.SECONDS);
                long done = committed.entrySet().stream().filter(e -> e.getKey().topic().equals(source) && e.getValue() != null)
                        .mapToLong(e -> e.getValue().offset()).sum();
                return count(source) - done;
            }
        }

        @Override
        String receiveExtras() {
            return "max_messages: 100, ";
        }
    }

    static final class Sqs extends End {

        private final String endpoint;

        Sqs(String endpoint) {
            this.endpoint = endpoint;
        }

        private SqsClient client() {
            return SqsClient.builder().endpointOverride(java.net.URI.create(endpoint))
                    .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                    .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("x", "x")))
                    .build();
        }

        @Override
        String type() {
            return "sqs";
        }

        @Override
        String credential(String group) {
            return credentialId() + ": {type: queue_aws_sqs, region: us-east-1, endpoint: \"" + endpoint
                    + "\", access_key_id: x, secret_access_key: x}";
        }

        /** Visibility 5 s: what a killed consumer held comes back soon. */
        @Override
        void create(String address) {
            try (SqsClient c = client()) {
                c.createQueue(b -> b.queueName(address).attributes(Map.of(QueueAttributeName.VISIBILITY_TIMEOUT, "5")));
            }
        }

        @Override
        void send(String address, List<String> bodies) {
            try (SqsClient c = client()) {
                String url = c.getQueueUrl(b -> b.queueName(address)).queueUrl();
                for (int i = 0; i < bodies.size(); i += 10) {
                    List<SendMessageBatchRequestEntry> batch = new ArrayList<>();
                    for (int j = i; j < Math.min(i + 10, bodies.size()); j++) {
                        batch.add(SendMessageBatchRequestEntry.builder().id("m" + j).messageBody(bodies.get(j)).build());
                    }
                    var result = c.sendMessageBatch(b -> b.queueUrl(url).entries(batch));
                    if (!result.failed().isEmpty()) {
                        throw new IllegalStateException("send to " + address + " failed: " + result.failed());
                    }
                }
            }
        }

        @Override
        long count(String address) {
            try (SqsClient c = client()) {
                String url = c.getQueueUrl(b -> b.queueName(address)).queueUrl();
                Map<QueueAttributeName, String> a = c.getQueueAttributes(b -> b.queueUrl(url).attributeNames(
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
                return Long.parseLong(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                        + Long.parseLong(a.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
            } catch (Exception e) {
                return -1;
            }
        }

        @Override
        List<String> take(String address) {
            List<String> all = new ArrayList<>();
            try (SqsClient c = client()) {
                String url = c.getQueueUrl(b -> b.queueName(address)).queueUrl();
                while (true) {
                    List<Message> batch = c.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10)
                            .waitTimeSeconds(1).visibilityTimeout(60)).messages();
                    if (batch.isEmpty()) {
                        return all;
                    }
                    batch.forEach(m -> all.add(m.body()));
                    c.deleteMessageBatch(b -> b.queueUrl(url).entries(batch.stream().map(m ->
                            software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry.builder()
                                    .id(m.messageId()).receiptHandle(m.receiptHandle()).build()).toList()));
                }
            }
        }

        @Override
        void delete(String address) {
            try (SqsClient c = client()) {
                String url = c.getQueueUrl(b -> b.queueName(address)).queueUrl();
                c.deleteQueue(b -> b.queueUrl(url));
            }
        }

        @Override
        long unacknowledged(String source, String group, String workflowId) {
            return count(source);
        }
    }

    static final class Rabbit extends End {

        private final String host;
        private final int port;

        Rabbit(String host, int port) {
            this.host = host;
            this.port = port;
        }

        Connection connect() throws Exception {
            ConnectionFactory f = new ConnectionFactory();
            f.setHost(host);
            f.setPort(port);
            f.setAutomaticRecoveryEnabled(false);
            return f.newConnection("faults");
        }

        @Override
        String type() {
            return "rabbitmq";
        }

        @Override
        String credential(String group) {
            return credentialId() + ": {type: queue_rabbitmq, url: \"amqp://guest:guest@" + host + ":" + port + "\"}";
        }

        @Override
        void create(String address) throws Exception {
            try (Connection c = connect(); Channel ch = c.createChannel()) {
                ch.queueDeclare(address, true, false, false, null);
            }
        }

        @Override
        void send(String address, List<String> bodies) throws Exception {
            try (Connection c = connect(); Channel ch = c.createChannel()) {
                ch.confirmSelect();
                for (String b : bodies) {
                    ch.basicPublish("", address, null, b.getBytes(StandardCharsets.UTF_8));
                }
                ch.waitForConfirmsOrDie(60_000);
            }
        }

        @Override
        long count(String address) {
            try (Connection c = connect(); Channel ch = c.createChannel()) {
                return ch.queueDeclarePassive(address).getMessageCount();
            } catch (Exception e) {
                return -1;
            }
        }

        @Override
        List<String> take(String address) throws Exception {
            long expected = count(address);
            List<String> bodies = Collections.synchronizedList(new ArrayList<>());
            AtomicLong last = new AtomicLong(System.nanoTime());
            try (Connection c = connect(); Channel ch = c.createChannel()) {
                ch.basicQos(1000);
                ch.basicConsume(address, true, new DefaultConsumer(ch) {
                    @Override
                    public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                        bodies.add(new String(body, StandardCharsets.UTF_8));
                        last.set(System.nanoTime());
                    }
                });
                while (bodies.size() < expected && System.nanoTime() - last.get() < Duration.ofSeconds(10).toNanos()) {
                    Thread.sleep(100);
                }
            }
            return new ArrayList<>(bodies);
        }

        @Override
        void delete(String address) throws Exception {
            try (Connection c = connect(); Channel ch = c.createChannel()) {
                ch.queueDelete(address);
            }
        }

        @Override
        long unacknowledged(String source, String group, String workflowId) {
            return count(source);
        }
    }

    static final class Redis extends End {

        private final String url;
        private RedisClient client;
        private StatefulRedisConnection<String, String> connection;

        /** Connects on first use: a scenario may only need the credential line (Caravan through a proxy). */
        Redis(String url) {
            this.url = url;
        }

        private synchronized StatefulRedisConnection<String, String> connection() {
            if (connection == null) {
                client = RedisClient.create(url);
                connection = client.connect();
            }
            return connection;
        }

        @Override
        String type() {
            return "redis";
        }

        @Override
        String credential(String group) {
            return credentialId() + ": {type: queue_redis, url: \"" + url + "\"}";
        }

        @Override
        void create(String address) {
            // XADD makes the stream; a consumer group makes it with MKSTREAM
        }

        @Override
        void send(String address, List<String> bodies) {
            var async = connection().async();
            List<io.lettuce.core.RedisFuture<String>> sent = new ArrayList<>();
            bodies.forEach(b -> sent.add(async.xadd(address, Map.of("body", b))));
            io.lettuce.core.LettuceFutures.awaitAll(Duration.ofSeconds(60), sent.toArray(new io.lettuce.core.RedisFuture[0]));
        }

        @Override
        long count(String address) {
            try {
                return connection().sync().xlen(address);
            } catch (Exception e) {
                return -1;
            }
        }

        /** Every entry's body, left in the stream (a stream is read, not consumed). */
        @Override
        List<String> take(String address) {
            return connection().sync().xrange(address, Range.create("-", "+")).stream()
                    .map(m -> m.getBody().get("body")).toList();
        }

        @Override
        void delete(String address) {
            connection().sync().del(address);
        }

        /** Atomically: every entry's body, then the stream deleted (MULTI/EXEC). */
        List<String> takeAndDelete(String address) {
            var sync = connection().sync();
            sync.multi();
            sync.xrange(address, Range.create("-", "+"));
            sync.del(address);
            var results = sync.exec();
            List<io.lettuce.core.StreamMessage<String, String>> entries = results.get(0);
            return entries.stream().map(m -> m.getBody().get("body")).toList();
        }

        @Override
        long unacknowledged(String source, String group, String workflowId) {
            return connection().sync().xpending(source, workflowId).getCount();
        }

        @Override
        String receiveExtras() {
            return "reclaim_after: 3s, max_deliveries: 100, ";
        }

        synchronized void close() {
            if (client != null) {
                connection.close();
                client.shutdown();
                connection = null;
                client = null;
            }
        }
    }
}
