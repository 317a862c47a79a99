package io.caravan.binding.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.testing.RoutesHome;
import io.caravan.testing.TestBrokers;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** caravan-redis-source and caravan-redis-sink in hand-written routes, against the Redis on 127.0.0.1:6379. */
class RedisKameletsIT {

    private static final String OUT = TestBrokers.unique("kamelet-out");
    private static final String IN = TestBrokers.unique("kamelet-in");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static RedisClient raw;
    static StatefulRedisConnection<String, String> redis;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRedis();
        raw = RedisClient.create(TestBrokers.REDIS_URL);
        redis = raw.connect();
        runtime = new RoutesHome(home)
                .property("it.redis", TestBrokers.REDIS_URL).property("it.out", OUT).property("it.in", IN)
                .route("redis", """
                        - route:
                            id: to-redis
                            from:
                              uri: direct:to-redis
                              steps:
                                - to: "kamelet:caravan-redis-sink?url={{it.redis}}&stream={{it.out}}"
                        - route:
                            id: from-redis
                            from:
                              uri: "kamelet:caravan-redis-source?url={{it.redis}}&stream={{it.in}}&group=kamelets-it"
                              steps:
                                - to: seda:from-redis
                        """).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (redis != null) {
            redis.sync().del(OUT, IN);
            redis.close();
            raw.shutdown();
        }
    }

    @Test
    void sinkAddsTheBodyAndHeadersAsFieldsAndDropsControlHeaders() {
        runtime.context().createProducerTemplate().sendBodyAndHeaders("direct:to-redis", "{\"order\": 1}",
                Map.of("tenant", "t-1", "CamelCaravanMessageId", "forged", "kafka.OVERRIDE_TOPIC", "elsewhere"));
        List<StreamMessage<String, String>> entries = redis.sync().xrange(OUT, Range.create("-", "+"));
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getBody()).isEqualTo(Map.of("body", "{\"order\": 1}", "tenant", "t-1"));
    }

    @Test
    void sourceDeliversTheBodyAndFieldsAsHeadersAndAcknowledges() throws Exception {
        redis.sync().xadd(IN, Map.of("body", "hello from redis", "tenant", "t-2", "CamelHttpUri", "http://evil"));
        Exchange got = runtime.context().createConsumerTemplate().receive("seda:from-redis", 30_000);
        assertThat(got).as("an entry from caravan-redis-source").isNotNull();
        assertThat(got.getMessage().getBody(String.class)).isEqualTo("hello from redis");
        assertThat(got.getMessage().getHeader("tenant")).isEqualTo("t-2");
        assertThat(got.getMessage().getHeaders().keySet()).noneMatch(h -> h.toLowerCase().startsWith("camel"));
        long deadline = System.currentTimeMillis() + 10_000;
        while (redis.sync().xpending(IN, "kamelets-it").getCount() > 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(redis.sync().xpending(IN, "kamelets-it").getCount()).as("acknowledged").isZero();
    }
}
