package io.caravan.testing;

import io.caravan.binding.Channel;
import io.caravan.credential.Credential;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.source.Location;
import io.caravan.workflow.NodeConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Brokers for integration tests, started once per JVM on free ports (never the dev ports: other
 * builds run on the same machine): an embedded Kafka and ElasticMQ, plus the RabbitMQ expected on
 * 127.0.0.1:5672 (guest/guest). Credentials for them are {@code kafka-test}, {@code sqs-test} and
 * {@code rabbitmq-test}.
 */
public final class TestBrokers {

    public static final String RABBITMQ_HOST = "127.0.0.1";
    public static final int RABBITMQ_PORT = 5672;
    public static final String RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672";
    public static final String REDIS_HOST = "127.0.0.1";
    public static final int REDIS_PORT = 6379;
    public static final String REDIS_URL = "redis://127.0.0.1:6379";
    /** Set to true (CI) to make Redis tests fail instead of skip when no Redis runs. */
    public static final String REQUIRE_REDIS_ENV = "CARAVAN_REQUIRE_REDIS";
    /** Set to true (CI) to make RabbitMQ tests fail instead of skip when no RabbitMQ runs. */
    public static final String REQUIRE_RABBITMQ_ENV = "CARAVAN_REQUIRE_RABBITMQ";

    /** One group per JVM so concurrent builds on this machine never share offsets. */
    private static final String KAFKA_GROUP = "caravan-test-" + UUID.randomUUID();

    private static EmbeddedKafka kafka;
    private static EmbeddedSqs sqs;

    private TestBrokers() {
    }

    public static synchronized EmbeddedKafka kafka() {
        if (kafka == null) {
            kafka = EmbeddedKafka.start(0);
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::close));
        }
        return kafka;
    }

    public static synchronized EmbeddedSqs sqs() {
        if (sqs == null) {
            sqs = EmbeddedSqs.start(0);
            Runtime.getRuntime().addShutdownHook(new Thread(sqs::close));
        }
        return sqs;
    }

    /**
     * Skips the calling test (or class, from {@code @BeforeAll}) with a loud message when no
     * RabbitMQ answers on 127.0.0.1:5672; fails instead when CARAVAN_REQUIRE_RABBITMQ=true.
     */
    public static void requireRabbitMq() {
        if (Ports.answers(RABBITMQ_HOST, RABBITMQ_PORT)) {
            return;
        }
        String message = "RabbitMQ is not running on " + RABBITMQ_HOST + ":" + RABBITMQ_PORT
                + " (guest/guest): RabbitMQ integration tests cannot run";
        if ("true".equalsIgnoreCase(System.getenv(REQUIRE_RABBITMQ_ENV))) {
            Assertions.fail(message + " and " + REQUIRE_RABBITMQ_ENV + "=true");
        }
        System.err.println("\n*** SKIPPED: " + message + ". Start one (docker compose up rabbitmq) or set "
                + REQUIRE_RABBITMQ_ENV + "=true to make this a failure. ***\n");
        Assumptions.abort(message);
    }

    /**
     * Skips the calling test (or class) with a loud message when no Redis answers on
     * 127.0.0.1:6379; fails instead when CARAVAN_REQUIRE_REDIS=true.
     */
    public static void requireRedis() {
        if (Ports.answers(REDIS_HOST, REDIS_PORT)) {
            return;
        }
        String message = "Redis is not running on " + REDIS_HOST + ":" + REDIS_PORT + ": Redis integration tests cannot run";
        if ("true".equalsIgnoreCase(System.getenv(REQUIRE_REDIS_ENV))) {
            Assertions.fail(message + " and " + REQUIRE_REDIS_ENV + "=true");
        }
        System.err.println("\n*** SKIPPED: " + message + ". Start one (redis-server) or set " + REQUIRE_REDIS_ENV
                + "=true to make this a failure. ***\n");
        Assumptions.abort(message);
    }

    public static Credential redisCredential() {
        return new Credential("redis-test", "queue_redis", Map.of("url", REDIS_URL), Set.of("url", "password"));
    }

    public static Credential kafkaCredential() {
        return new Credential("kafka-test", "queue_kafka",
                Map.of("brokers", List.of(kafka().bootstrapServers()), "consumer_group", KAFKA_GROUP), Set.of());
    }

    public static Credential sqsCredential() {
        return new Credential("sqs-test", "queue_aws_sqs",
                Map.of("region", EmbeddedSqs.REGION, "access_key_id", EmbeddedSqs.ACCESS_KEY,
                        "secret_access_key", EmbeddedSqs.SECRET_KEY, "endpoint", sqs().endpoint()),
                Set.of("access_key_id", "secret_access_key"));
    }

    public static Credential rabbitMqCredential() {
        return new Credential("rabbitmq-test", "queue_rabbitmq", Map.of("url", RABBITMQ_URL), Set.of("url"));
    }

    /**
     * The three test credentials by id, as a credential store holds them. Starts Kafka and SQS;
     * the RabbitMQ entry is there whether or not RabbitMQ runs (call {@link #requireRabbitMq}).
     */
    public static Map<String, Credential> credentials() {
        Map<String, Credential> all = new LinkedHashMap<>();
        for (Credential c : List.of(kafkaCredential(), sqsCredential(), rabbitMqCredential())) {
            all.put(c.id(), c);
        }
        return all;
    }

    /**
     * Writes a credentials file with one credential per broker, ids {@code kafka}, {@code sqs},
     * {@code rabbit} and {@code redis}; Kafka's consumer groups are prefixed {@code group}.
     */
    public static java.nio.file.Path writeCredentials(java.nio.file.Path file, String group) throws java.io.IOException {
        return java.nio.file.Files.writeString(file, """
                kafka: {type: queue_kafka, brokers: ["%s"], consumer_group: %s}
                sqs: {type: queue_aws_sqs, region: us-east-1, endpoint: "%s", access_key_id: x, secret_access_key: x}
                rabbit: {type: queue_rabbitmq, url: "%s"}
                redis: {type: queue_redis, url: "%s"}
                """.formatted(kafka().bootstrapServers(), group, sqs().endpoint(), RABBITMQ_URL, REDIS_URL));
    }

    /** A unique queue/topic name for one test. */
    public static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A node config holding {@code values} (validated types: Long, Duration, String, Map). */
    public static NodeConfig config(Map<String, Object> values) {
        return new NodeConfig(values, Map.of(), Location.UNKNOWN);
    }

    public static Channel channel(String credentialId, String address, Map<String, Object> config) {
        return new Channel("wf-test", "node-test", credentialId, address, config(config));
    }
}
