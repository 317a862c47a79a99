package io.caravan.binding.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.RedisURI;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.Optional;

/**
 * One Redis credential's client, bound in the registry as {@code #caravan-credential-<id>} (or made
 * by a kamelet from its {@code url}): a Lettuce {@link RedisClient} and one shared connection,
 * opened on first use, for every command but blocking reads. Lettuce connections are thread-safe
 * and send commands without waiting for earlier replies, so many runs' XADDs and XACKs share one
 * connection and pipeline (https://redis.github.io/lettuce/advanced-usage/pipelining). A blocking
 * XREADGROUP blocks its whole connection, so each consumer opens its own ({@link #connectBlocking}).
 * Lettuce reconnects by itself and replays what was in flight (at least once).
 */
public final class RedisClients implements AutoCloseable {

    /** Per-command timeout unless the URL sets one: long enough for a loaded server, short enough to fail a send. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final RedisClient client;
    private final String address;
    private final String consumerGroup;
    private final String name;
    private StatefulRedisConnection<String, String> shared;
    private StatefulRedisConnection<String, byte[]> sharedBytes;
    private boolean closed;

    /**
     * Stream field names as text, values as the bytes Redis holds: an entry's body reaches a run
     * as UTF-8 text and a dead letter unchanged, even when it is not UTF-8 (Lettuce's String codec
     * replaced such bytes with U+FFFD).
     */
    static final RedisCodec<String, byte[]> BYTES = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /**
     * @param uri           the server, user and password (from the credential's url and fields)
     * @param consumerGroup the credential's consumer group, or null: each workflow's own id
     * @param name          what the connections are called on the server (CLIENT LIST), no secret
     */
    RedisClients(RedisURI uri, String consumerGroup, String name) {
        this(uri, consumerGroup, name, null);
    }

    /** @param trusted PEM certificates to trust for rediss:// instead of the JVM's trust store, or null */
    RedisClients(RedisURI uri, String consumerGroup, String name, java.nio.file.Path trusted) {
        if (!uri.getTimeout().equals(RedisURI.DEFAULT_TIMEOUT_DURATION)) {
            // the URL set ?timeout=: keep it
        } else {
            uri.setTimeout(DEFAULT_TIMEOUT);
        }
        uri.setClientName(name);
        this.client = RedisClient.create(uri);
        ClientOptions.Builder options = ClientOptions.builder().autoReconnect(true);
        if (trusted != null) {
            // Lettuce checks the server's certificate and host name (rediss://) against these
            options.sslOptions(io.lettuce.core.SslOptions.builder().jdkSslProvider().trustManager(trusted.toFile()).build());
        }
        this.client.setOptions(options.build());
        this.address = uri.getHost() + ":" + uri.getPort();
        this.consumerGroup = consumerGroup;
        this.name = name;
    }

    /** host:port, for messages: never the password. */
    public String address() {
        return address;
    }

    /** The group a workflow's consumers join: the credential's, or the workflow's id. */
    String group(String workflowGroup) {
        return consumerGroup != null && !consumerGroup.isBlank() ? consumerGroup : workflowGroup;
    }

    Optional<String> consumerGroup() {
        return Optional.ofNullable(consumerGroup);
    }

    /** The shared connection's commands, connecting first if needed (fails when Redis does not answer). */
    public synchronized RedisAsyncCommands<String, String> async() {
        if (closed) {
            throw new IllegalStateException("the Redis client of " + name + " is closed (credential rebound)");
        }
        if (shared == null) {
            shared = client.connect();
        }
        return shared.async();
    }

    /** A second shared connection whose values are bytes ({@link #BYTES}): entries are written with it. */
    public synchronized RedisAsyncCommands<String, byte[]> asyncBytes() {
        if (closed) {
            throw new IllegalStateException("the Redis client of " + name + " is closed (credential rebound)");
        }
        if (sharedBytes == null) {
            sharedBytes = client.connect(BYTES);
        }
        return sharedBytes.async();
    }

    /** A connection of its own for blocking reads, values as bytes; its timeout covers the longest block. */
    StatefulRedisConnection<String, byte[]> connectBlocking(Duration longestBlock) {
        StatefulRedisConnection<String, byte[]> connection = client.connect(BYTES);
        connection.setTimeout(longestBlock.plus(DEFAULT_TIMEOUT));
        return connection;
    }

    /**
     * Creates the consumer group, and the stream with it, when missing ({@code XGROUP CREATE ... 0
     * MKSTREAM}): a new group reads the stream from its first entry, as a new Kafka group reads
     * from the earliest offset. An existing group (BUSYGROUP) is left as it is.
     */
    void ensureGroup(String stream, String group) throws Exception {
        try {
            async().xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), group, XGroupCreateArgs.Builder.mkstream())
                    .get(DEFAULT_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // Lettuce maps every error starting with BUSY to RedisBusyException; only BUSYGROUP means "exists"
            if (!(e.getCause() instanceof RedisBusyException busy && String.valueOf(busy.getMessage()).startsWith("BUSYGROUP"))) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (shared != null) {
            shared.close();
            shared = null;
        }
        if (sharedBytes != null) {
            sharedBytes.close();
            sharedBytes = null;
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    /** Never shows the URI: it may hold the password. */
    @Override
    public String toString() {
        return "RedisClients[" + address + (consumerGroup == null ? "" : ", group=" + consumerGroup) + "]";
    }
}
