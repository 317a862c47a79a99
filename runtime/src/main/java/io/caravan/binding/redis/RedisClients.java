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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
     * @param consumerGroup the credential's consumer group (the prefix of its workflows' groups), or null
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

    /**
     * The group a workflow's node reads in: the node's own {@code consumer_group}, else
     * {@code <credential consumer_group>.<workflow id>}, or the workflow id when the credential
     * names no group. Each workflow is its own subscriber; instances of one workflow share it.
     */
    String group(String workflowId, String explicit) {
        return io.caravan.binding.BindingSupport.groupName(consumerGroup, workflowId, explicit);
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
        String from = "0";
        if (consumerGroup != null && !consumerGroup.isBlank() && !consumerGroup.equals(group)) {
            from = inheritedStart(stream, group).orElse("0");
        }
        try {
            async().xgroupCreate(XReadArgs.StreamOffset.from(stream, from), group, XGroupCreateArgs.Builder.mkstream())
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
    /**
     * Until Caravan 0.9 a credential's {@code consumer_group} was the group every workflow read
     * in; now it is their prefix. A workflow's new group starts where that old group stands on
     * the stream: just before its oldest pending entry (taken, not acknowledged), else after its
     * last delivered one, so an upgrade neither reads the stream again nor skips anything. Empty
     * when the new group exists already or the old one does not.
     */
    private Optional<String> inheritedStart(String stream, String group) throws Exception {
        Map<String, Object> groups = new HashMap<>();
        try {
            for (Object info : async().xinfoGroups(stream).get(DEFAULT_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                Map<String, Object> fields = pairs(info);
                groups.put(String.valueOf(fields.get("name")), fields);
            }
        } catch (java.util.concurrent.ExecutionException e) {
            return Optional.empty(); // no such stream yet: nothing to inherit
        }
        if (groups.containsKey(group) || !(groups.get(consumerGroup) instanceof Map<?, ?> old)) {
            return Optional.empty();
        }
        String start = String.valueOf(old.get("last-delivered-id"));
        var pending = async().xpending(stream, consumerGroup).get(DEFAULT_TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        if (pending.getCount() > 0 && pending.getMessageIds().getLower().getValue() != null) {
            start = before(pending.getMessageIds().getLower().getValue());
        }
        return Optional.of(start);
    }

    private static Map<String, Object> pairs(Object info) {
        Map<String, Object> fields = new HashMap<>();
        if (info instanceof List<?> list) {
            for (int i = 0; i + 1 < list.size(); i += 2) {
                fields.put(String.valueOf(list.get(i)), list.get(i + 1));
            }
        }
        return fields;
    }

    /** The stream id just before {@code id} ({@code ms-seq}): a group created there delivers {@code id} next. */
    static String before(String id) {
        int dash = id.indexOf('-');
        long ms = Long.parseLong(id.substring(0, dash));
        long seq = Long.parseUnsignedLong(id.substring(dash + 1));
        if (seq > 0) {
            return ms + "-" + (seq - 1);
        }
        return ms == 0 ? "0" : (ms - 1) + "-" + Long.toUnsignedString(-1L);
    }

    @Override
    public String toString() {
        return "RedisClients[" + address + (consumerGroup == null ? "" : ", group=" + consumerGroup) + "]";
    }
}
