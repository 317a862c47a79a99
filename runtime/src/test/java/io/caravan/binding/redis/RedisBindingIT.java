package io.caravan.binding.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.binding.Binding;
import io.caravan.binding.BrokerConformance;
import io.caravan.binding.Messages;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.caravan.testing.Await;
import io.caravan.testing.TestBrokers;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redis Streams (the Redis on 127.0.0.1:6379) through the conformance suite, and what only streams have. */
class RedisBindingIT extends BrokerConformance {

    private static RedisClient raw;
    private static StatefulRedisConnection<String, String> redis;
    private final RedisBinding binding = new RedisBinding();

    @BeforeAll
    static void connect() {
        TestBrokers.requireRedis();
        raw = RedisClient.create(TestBrokers.REDIS_URL);
        redis = raw.connect();
    }

    @AfterAll
    static void disconnect() {
        if (raw != null) {
            redis.close();
            raw.shutdown();
        }
    }

    @Override
    protected Binding binding() {
        return binding;
    }

    @Override
    protected Credential credential() {
        return TestBrokers.redisCredential();
    }

    @Override
    protected Credential unreachable(int port, String secret) {
        return new Credential("redis-down", "queue_redis", Map.of("url", "redis://caravan:" + secret + "@127.0.0.1:" + port),
                Set.of("url", "password"));
    }

    /** An empty stream (created with a throwaway group, so it exists). */
    /** A password in the url or the password field: the Redis on 6379 has no user caravan, so it refuses. */
    @Override
    protected Credential credentialWithSecret(String field, String secret) {
        return field.equals("url")
                ? new Credential("redis-secret", "queue_redis", Map.of("url", "redis://caravan:" + secret + "@127.0.0.1:6379"),
                        Set.of("url", "password"))
                : new Credential("redis-secret", "queue_redis", Map.of("url", TestBrokers.REDIS_URL, "username", "caravan",
                        field, secret), Set.of("url", "password"));
    }

    @Override
    protected String newAddress() {
        String stream = TestBrokers.unique("stream");
        redis.sync().xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), "test-create",
                io.lettuce.core.XGroupCreateArgs.Builder.mkstream());
        redis.sync().xgroupDestroy(stream, "test-create");
        return stream;
    }

    /** Entries idle for a second are claimed again, so a failed run comes back soon. */
    @Override
    protected Map<String, Object> nodeConfig() {
        return Map.of("wait_time", Duration.ofSeconds(1), "reclaim_after", Duration.ofSeconds(1));
    }

    @Override
    protected Duration redeliveryWithin() {
        return Duration.ofSeconds(10);
    }

    /** The key is the entry's field {@code key}. */
    @Override
    protected void publishKeyed(String stream, String key, String body) {
        redis.sync().xadd(stream, Map.of("body", body, "key", key));
    }

    @Override
    protected void publish(String stream, String body, Map<String, String> attributes) {
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("body", body);
        fields.putAll(attributes);
        redis.sync().xadd(stream, fields);
    }

    @Override
    protected List<RawMessage> take(String stream, int count, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        List<RawMessage> out = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            out.clear();
            for (StreamMessage<String, String> m : redis.sync().xrange(stream, io.lettuce.core.Range.create("-", "+"))) {
                Map<String, String> attributes = new LinkedHashMap<>(m.getBody());
                String body = attributes.remove("body");
                out.add(new RawMessage(body, attributes));
            }
            if (out.size() >= count) {
                break;
            }
            Thread.sleep(100);
        }
        return out;
    }

    @Override
    protected void remove(String stream) {
        redis.sync().del(stream);
    }

    @Test
    void aDeadLetterCarriesTheEntrysBytesUnchanged() throws Exception {
        // seen before: Lettuce's String codec read 0xff 0xfe as U+FFFD, and that reached <stream>.dlq
        String source = newAddress();
        String dlq = newAddress();
        try (var runtime = poisoned(source, dlq);
             var bytes = raw.connect(io.lettuce.core.codec.RedisCodec.of(io.lettuce.core.codec.StringCodec.UTF8,
                     io.lettuce.core.codec.ByteArrayCodec.INSTANCE))) {
            bytes.sync().xadd(source, Map.of("body", NOT_UTF8, "note", "n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            List<StreamMessage<String, byte[]>> letters = List.of();
            while (letters.isEmpty() && System.nanoTime() < deadline) {
                letters = bytes.sync().xrange(dlq, io.lettuce.core.Range.create("-", "+"));
                Thread.sleep(letters.isEmpty() ? 100 : 0);
            }
            assertThat(letters).as("the dead letter in " + dlq).hasSize(1);
            assertThat(letters.get(0).getBody().get("body")).isEqualTo(NOT_UTF8);
            assertThat(new String(letters.get(0).getBody().get("note"), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("n");
            assertThat(letters.get(0).getBody()).containsKey("caravan-error-code");
        }
    }

    @Test
    void anEntryWithoutABodyFieldIsReadAsTheObjectOfItsFields() throws Exception {
        String stream = address();
        List<ReceivedMessage> received = consume(stream, e -> { });
        redis.sync().xadd(stream, Map.of("order", "o-1", "amount", "12"));
        Await.until("the entry arrives", Duration.ofSeconds(20), () -> !received.isEmpty());
        assertThat(received.get(0).body()).contains("\"order\":\"o-1\"", "\"amount\":\"12\"");
        assertThat(received.get(0).attributes()).isEmpty();
        assertThat(received.get(0).metadata()).containsEntry(ReceivedMessage.DELIVERY_COUNT, 1);
    }

    /**
     * key_field names the field ordering: key goes by: entries of one account run one after
     * another in stream order, accounts side by side; entries without the field run at once.
     */
    @Test
    void keyFieldNamesTheFieldEntriesAreOrderedBy() throws Exception {
        String stream = address();
        for (int seq = 0; seq < 10; seq++) {
            for (String account : List.of("a", "b", "c")) {
                redis.sync().xadd(stream, Map.of("body", account + "-" + seq, "account", account));
            }
            redis.sync().xadd(stream, Map.of("body", "keyless-" + seq));
        }
        String uri = binding.consumerUri(TestBrokers.channel(credential().id(), stream, Map.of("wait_time",
                Duration.ofSeconds(1), "key_field", "account")), false);
        assertThat(uri).contains("&keyField=account");
        Map<String, List<Integer>> starts = new java.util.concurrent.ConcurrentHashMap<>();
        Map<String, java.util.concurrent.atomic.AtomicInteger> running = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> overlaps = new java.util.concurrent.CopyOnWriteArrayList<>();
        var keylessAtOnce = new java.util.concurrent.atomic.AtomicInteger();
        var keylessMost = new java.util.concurrent.atomic.AtomicInteger();
        Set<String> done = java.util.concurrent.ConcurrentHashMap.newKeySet();
        context.addRoutes(new org.apache.camel.builder.RouteBuilder() {
            @Override
            public void configure() {
                from(uri).process(e -> {
                    String body = Messages.received(e).body();
                    String key = body.substring(0, body.indexOf('-'));
                    var atOnce = key.equals("keyless") ? keylessAtOnce
                            : running.computeIfAbsent(key, k -> new java.util.concurrent.atomic.AtomicInteger());
                    int now = atOnce.incrementAndGet();
                    if (key.equals("keyless")) {
                        keylessMost.accumulateAndGet(now, Math::max);
                    } else if (now > 1) {
                        overlaps.add(body);
                    }
                    synchronized (starts) {
                        starts.computeIfAbsent(key, k -> new ArrayList<>()).add(Integer.parseInt(body.substring(body.indexOf('-') + 1)));
                    }
                    Thread.sleep(20);
                    atOnce.decrementAndGet();
                    done.add(body);
                });
            }
        });
        Await.until("40 entries run", Duration.ofSeconds(30), () -> done.size() == 40);
        assertThat(overlaps).as("entries that started while another of their account ran").isEmpty();
        for (String account : List.of("a", "b", "c")) {
            assertThat(starts.get(account)).as("account " + account).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        }
        assertThat(keylessMost.get()).as("entries without the field run side by side").isGreaterThan(1);
    }

    @Test
    void maxLengthTrimsTheStreamApproximately() throws Exception {
        String stream = address();
        String uri = binding.producerUri(TestBrokers.channel(credential().id(), stream, Map.of("max_length", 10L)));
        for (int i = 0; i < 500; i++) {
            Exchange exchange = new DefaultExchange(context);
            exchange.getMessage().setBody("m" + i);
            Exchange sent = context.createProducerTemplate().send(uri, exchange);
            assertThat(sent.getMessage().getHeader(Messages.MESSAGE_ID, String.class)).matches("\\d+-\\d+");
        }
        // MAXLEN ~ trims whole radix-tree nodes (100 entries by default): about 10, never all 500
        assertThat(redis.sync().xlen(stream)).isLessThan(500).isGreaterThanOrEqualTo(10);
    }

    @Test
    void aDeadConsumersPendingEntriesAreClaimedByAnother() throws Exception {
        String stream = address();
        String group = "wf-test";
        redis.sync().xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group);
        publish(stream, "orphan", Map.of());
        // another consumer took it and died without acknowledging
        redis.sync().xreadgroup(io.lettuce.core.Consumer.from(group, "dead-one"), XReadArgs.StreamOffset.lastConsumed(stream));
        List<ReceivedMessage> received = consume(stream, e -> { });
        Await.until("the orphan is claimed and run", Duration.ofSeconds(15), () -> !received.isEmpty());
        assertThat(received.get(0).body()).isEqualTo("orphan");
        assertThat(received.get(0).metadata()).containsEntry(ReceivedMessage.DELIVERY_COUNT, 2);
        Await.until("acknowledged", Duration.ofSeconds(10), () -> redis.sync().xpending(stream, group).getCount() == 0);
    }

    /** A poison entry whose runs keep dying: Redis counts its deliveries, and past max_deliveries it goes to <stream>.dlq. */
    @Test
    void anEntryDeliveredTooOftenGoesToTheDefaultDeadLetterWithoutRunning() throws Exception {
        String stream = address();
        String group = "looping";
        redis.sync().xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group);
        publish(stream, "poison", Map.of());
        var dead = io.lettuce.core.Consumer.from(group, "crashed");
        String id = redis.sync().xreadgroup(dead, XReadArgs.StreamOffset.lastConsumed(stream)).get(0).getId();
        redis.sync().xclaim(stream, dead, 0, id); // delivered twice
        redis.sync().xclaim(stream, dead, 0, id); // three times
        try (var runtime = runtime("""
                id: looping
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: redis, source: %s, reclaim_after: 1s, max_deliveries: 3, credential_id: redis-test}}
                  - {id: log, type: log, config: {message: "ran {{input}}"}}
                edges: [{from: in, to: log}]
                """.formatted(stream))) {
            List<RawMessage> letters = take(stream + ".dlq", 1, Duration.ofSeconds(20));
            assertThat(letters).hasSize(1);
            assertThat(letters.get(0).body()).isEqualTo("poison");
            assertThat(letters.get(0).attributes()).containsEntry("caravan-error-code", "TOO_MANY_DELIVERIES")
                    .containsEntry("caravan-failed-node", "in");
            Await.until("acknowledged once dead-lettered", Duration.ofSeconds(10),
                    () -> redis.sync().xpending(stream, group).getCount() == 0);
        } finally {
            remove(stream + ".dlq");
        }
    }
}
