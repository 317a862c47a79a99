package io.caravan.bench;

import io.caravan.brokers.Sockets;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Redis Streams: the Redis on 127.0.0.1:6379 (nothing starts one in-process), and two pipes on
 * it: Lettuce by hand and a Caravan workflow. Camel has no component that reads a stream in a
 * consumer group, so there is no Camel pipe to compare with.
 */
final class RedisBench extends Broker {

    static final String URL = "redis://127.0.0.1:6379";
    /** The group every pipe reads the source in; Caravan's is its workflow id. */
    private static final String RAW_GROUP = "bench-raw";

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> admin;

    RedisBench() {
        if (!Sockets.answers("127.0.0.1", 6379)) {
            throw new IllegalStateException("no Redis answers on 127.0.0.1:6379 (start redis-server)");
        }
        client = RedisClient.create(URL);
        admin = client.connect();
        notes.add("Redis: the system service on 127.0.0.1:6379; no camel pipes (Camel has no Redis Streams component)");
    }

    @Override
    String name() {
        return "redis";
    }

    @Override
    List<Variant> variants() {
        return List.of(Variant.RAW, Variant.CARAVAN);
    }

    @Override
    int drainCount() {
        return 50_000;
    }

    @Override
    int fixedRate() {
        return 1000;
    }

    @Override
    String queueType() {
        return "redis";
    }

    @Override
    String credential(String id, String group) {
        return id + ": {type: queue_redis, url: \"" + URL + "\"}\n";
    }

    @Override
    void create(String src, String dst, int partitions) {
        // both pipes' groups, from the start of the (empty) source
        for (String group : List.of(RAW_GROUP, CaravanPipe.WORKFLOW_ID)) {
            admin.sync().xgroupCreate(XReadArgs.StreamOffset.from(src, "0"), group, XGroupCreateArgs.Builder.mkstream());
        }
    }

    @Override
    void delete(String src, String dst) {
        admin.sync().del(src, dst);
    }

    /** Pending in either group, plus entries neither group has been given. */
    @Override
    long remaining(String src) {
        long left = 0;
        for (String group : List.of(RAW_GROUP, CaravanPipe.WORKFLOW_ID)) {
            for (Object g : admin.sync().xinfoGroups(src)) {
                List<?> info = (List<?>) g;
                if (!group.equals(value(info, "name"))) {
                    continue;
                }
                Object lag = value(info, "lag");
                Object pending = value(info, "pending");
                left = Math.max(left, (lag instanceof Long l ? l : 0) + (pending instanceof Long p ? p : 0));
            }
        }
        return left;
    }

    private static Object value(List<?> flat, String key) {
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            if (key.equals(flat.get(i))) {
                return flat.get(i + 1);
            }
        }
        return null;
    }

    @Override
    Loader loader(String src) {
        StatefulRedisConnection<String, String> connection = client.connect();
        List<RedisFuture<String>> inFlight = new ArrayList<>();
        return new Loader() {
            @Override
            public void send(long id) {
                inFlight.add(connection.async().xadd(src, Map.of("body", Payload.message(id))));
                if (inFlight.size() >= 1000) {
                    flush();
                }
            }

            @Override
            public void flush() {
                for (RedisFuture<String> f : inFlight) {
                    try {
                        f.get(60, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        throw new IllegalStateException("loading " + src + " was not confirmed: " + e, e);
                    }
                }
                inFlight.clear();
            }

            @Override
            public void close() {
                connection.close();
            }
        };
    }

    /** Reads the destination from its first entry, without a group, as an outside consumer would. */
    @Override
    AutoCloseable sink(String dst, Recorder recorder) {
        StatefulRedisConnection<String, String> connection = client.connect();
        String[] last = {"0"};
        return Loop.start("redis-sink", () -> { }, () -> {
            List<StreamMessage<String, String>> read = connection.sync().xread(
                    XReadArgs.Builder.count(1000).block(Duration.ofMillis(200)), XReadArgs.StreamOffset.from(dst, last[0]));
            for (StreamMessage<String, String> m : read) {
                recorder.record(m.getBody().get("body"));
                last[0] = m.getId();
            }
        }, connection::close);
    }

    @Override
    Pipe pipe(Variant variant, String src, String dst) {
        return switch (variant) {
            case RAW -> new RawPipe(src, dst);
            case CARAVAN -> new CaravanPipe(this, src, dst, 1);
            case CARAVAN_TRACED -> new CaravanPipe(this, src, dst, 1).traced();
            default -> throw new IllegalArgumentException("no " + variant.key + " pipe for Redis Streams");
        };
    }

    /**
     * Lettuce by hand, at least once: XREADGROUP on a connection of its own, each entry's output
     * XADDed asynchronously on another, and XACKed once Redis answered the XADD; at most 1,000
     * entries between read and acknowledged.
     */
    private final class RawPipe implements Pipe {
        private final String src;
        private final String dst;
        private StatefulRedisConnection<String, String> reading;
        private StatefulRedisConnection<String, String> writing;
        private Loop loop;

        RawPipe(String src, String dst) {
            this.src = src;
            this.dst = dst;
        }

        @Override
        public void start() {
            reading = client.connect();
            writing = client.connect();
            Semaphore slots = new Semaphore(1000);
            Consumer<String> me = Consumer.from(RAW_GROUP, "raw");
            loop = Loop.start("redis-raw", () -> { }, () -> {
                slots.acquire(100); // room for a whole read
                slots.release(100);
                List<StreamMessage<String, String>> read = reading.sync().xreadgroup(me,
                        XReadArgs.Builder.count(100).block(Duration.ofMillis(200)), XReadArgs.StreamOffset.lastConsumed(src));
                for (StreamMessage<String, String> m : read) {
                    slots.acquire();
                    String id = m.getId();
                    writing.async().xadd(dst, Map.of("body", Payload.transform(m.getBody().get("body"))))
                            .thenCompose(sent -> writing.async().xack(src, RAW_GROUP, id))
                            .whenComplete((n, e) -> slots.release());
                }
            }, () -> { });
        }

        @Override
        public void close() throws Exception {
            if (loop != null) {
                loop.close();
            }
            if (reading != null) {
                reading.close();
                writing.close();
            }
        }
    }

    @Override
    public void close() {
        admin.close();
        client.shutdown();
    }
}
