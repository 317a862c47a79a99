package io.caravan.binding.redis;

import io.caravan.CaravanException;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Provisioner;
import io.caravan.binding.QueueDepth;
import io.caravan.tls.Tls;
import io.caravan.binding.ReceivedMessage;
import io.caravan.credential.Credential;
import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XPendingArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.models.stream.PendingMessage;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;

/**
 * Redis outside a route. A credential becomes a {@link RedisClients} in the registry that
 * endpoints reference as {@code clients=#...}; its url may hold the password, so it never appears
 * in a URI or a message.
 *
 * <p>{@link #pull} (the receive_message action) reads in the workflow's group as its own consumer
 * ({@code pull-<node>}): first entries idle for reclaim_after anywhere in the group, then what an
 * earlier pull took and did not delete, then new entries within the wait. With
 * {@code deleteAfter} it acknowledges them (XACK); otherwise they stay pending on it, and the next
 * pull takes them again.
 */
final class RedisProvisioner implements Provisioner {

    private static final String QUEUE_TYPE = RedisBinding.QUEUE_TYPE;
    private static final long CALL_MILLIS = RedisClients.DEFAULT_TIMEOUT.toMillis();

    /** A pull or depth of a stream that does not exist. */
    static final class StreamNotFound extends RuntimeException {
        StreamNotFound(String stream) {
            super("stream " + stream + " does not exist");
        }
    }

    private final Map<String, String> addresses = new ConcurrentHashMap<>();

    @Override
    public void bind(CamelContext context, Credential credential) {
        RedisURI uri;
        try {
            uri = RedisURI.create(credential.string("url"));
        } catch (RuntimeException e) {
            // the parser's message may quote the URL, password included
            throw new IllegalArgumentException("credential " + credential.id() + ": url is not a valid redis:// or rediss:// URL");
        }
        if (credential.string("username") != null) {
            uri.setUsername(credential.string("username"));
        }
        if (credential.string("password") != null) {
            uri.setPassword(credential.string("password").toCharArray());
        }
        RedisClients clients = new RedisClients(uri, credential.string("consumer_group"), "caravan:" + credential.id(),
                Tls.caFile(credential).orElse(null));
        addresses.put(credential.id(), clients.address());
        new RedisBinding().register(context);
        String name = Bindings.beanName(credential.id());
        if (context.getRegistry().lookupByName(name) instanceof RedisClients old) {
            context.getRegistry().unbind(name);
            old.close();
        }
        context.getRegistry().bind(name, RedisClients.class, clients);
    }

    /**
     * A stream the workflow reads gets its consumer group, and is created with it when missing; a
     * stream it only adds to needs nothing (the first XADD creates it), and gets no group that
     * would never read.
     */
    @Override
    public void provision(CamelContext context, Channel channel, boolean consumed) throws Exception {
        if (consumed) {
            RedisClients clients = clients(context, channel);
            clients.ensureGroup(channel.address(), clients.group(channel.workflowId(), BindingSupport.explicitGroup(channel)));
        }
    }

    @Override
    public List<ReceivedMessage> pull(CamelContext context, Channel channel, int max, Duration wait, boolean deleteAfter)
            throws Exception {
        RedisClients clients = clients(context, channel);
        RedisAsyncCommands<String, String> redis = clients.async();
        String stream = channel.address();
        String group = clients.group(channel.workflowId(), BindingSupport.explicitGroup(channel));
        if (get(redis.exists(stream)) == 0) {
            throw new StreamNotFound(stream);
        }
        clients.ensureGroup(stream, group);
        Consumer<String> me = Consumer.from(group, "pull-" + channel.nodeId());
        Map<String, StreamMessage<String, String>> taken = new LinkedHashMap<>();
        List<String> gone = new ArrayList<>();

        get(redis.xautoclaim(stream, XAutoClaimArgs.Builder.xautoclaim(me, RedisBinding.reclaimAfter(channel), "0-0")
                .count(max))).getMessages().forEach(m -> taken.put(m.getId(), m));
        if (taken.size() < max) {
            for (StreamMessage<String, String> m : get(redis.xreadgroup(me, XReadArgs.Builder.count(max - taken.size()),
                    XReadArgs.StreamOffset.from(stream, "0")))) {
                // an entry deleted while pending comes back without fields: acknowledge it away
                if (m.getBody() == null || m.getBody().isEmpty()) {
                    gone.add(m.getId());
                } else {
                    taken.putIfAbsent(m.getId(), m);
                }
            }
        }
        if (taken.size() < max) {
            XReadArgs args = XReadArgs.Builder.count(max - taken.size());
            if (!wait.isZero()) {
                args.block(wait); // BLOCK 0 would wait for ever
            }
            // a blocking read holds its connection: not the shared one the sends use
            try (StatefulRedisConnection<String, byte[]> blocking = clients.connectBlocking(wait)) {
                blocking.sync().xreadgroup(me, args, XReadArgs.StreamOffset.lastConsumed(stream))
                        .forEach(m -> taken.putIfAbsent(m.getId(), RedisEntries.decoded(m)));
            }
        }
        if (!gone.isEmpty()) {
            get(redis.xack(stream, group, gone.toArray(String[]::new)));
        }
        Map<String, Long> deliveries = new HashMap<>();
        if (!taken.isEmpty()) {
            List<String> ids = new ArrayList<>(taken.keySet());
            ids.sort(RedisProvisioner::compareIds);
            List<PendingMessage> pending = get(redis.xpending(stream, XPendingArgs.Builder.xpending(me,
                    Range.create(ids.get(0), ids.get(ids.size() - 1)), Limit.from(ids.size() * 2L))));
            pending.forEach(p -> deliveries.put(p.getId(), p.getRedeliveryCount()));
            if (deleteAfter) {
                get(redis.xack(stream, group, taken.keySet().toArray(String[]::new)));
            }
        }
        return taken.values().stream()
                .map(m -> RedisEntries.toReceived(stream, m, deliveries.getOrDefault(m.getId(), 1L))).toList();
    }

    /** Entry ids in stream order: milliseconds, then sequence. */
    private static int compareIds(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int c = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return c != 0 ? c : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
    }

    /**
     * The group's lag (entries not yet delivered to it; Redis 7) as visible and its pending entries
     * as in flight. A stream no workflow's group reads (a destination): its length. A stream that
     * does not exist yet holds nothing (XADD creates it).
     */
    @Override
    public Optional<QueueDepth> depth(CamelContext context, Channel channel) throws Exception {
        RedisClients clients = clients(context, channel);
        RedisAsyncCommands<String, String> redis = clients.async();
        String stream = channel.address();
        if (get(redis.exists(stream)) == 0) {
            return Optional.of(QueueDepth.of(0));
        }
        String group = clients.group(channel.workflowId(), BindingSupport.explicitGroup(channel));
        for (Object g : get(redis.xinfoGroups(stream))) {
            Map<String, Object> info = pairs((List<?>) g);
            if (group.equals(info.get("name"))) {
                long pending = info.get("pending") instanceof Long p ? p : 0;
                if (info.get("lag") instanceof Long lag) {
                    return Optional.of(QueueDepth.of(lag, pending));
                }
                // lag unknown (entries deleted or a group set to a mid id): the stream's length is the bound
                return Optional.of(QueueDepth.of(get(redis.xlen(stream)), pending));
            }
        }
        return Optional.of(QueueDepth.of(get(redis.xlen(stream))));
    }

    private static Map<String, Object> pairs(List<?> flat) {
        Map<String, Object> out = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            out.put(String.valueOf(flat.get(i)), flat.get(i + 1));
        }
        return out;
    }

    @Override
    public CaravanException classify(Throwable failure, Channel channel) {
        if (failure instanceof CaravanException ce) {
            return ce;
        }
        String stream = channel == null ? "?" : channel.address();
        if (BindingSupport.cause(failure, StreamNotFound.class).isPresent()
                || BindingSupport.cause(failure, RedisCommandExecutionException.class)
                        .map(e -> String.valueOf(e.getMessage()).startsWith("NOGROUP")).orElse(false)) {
            return BindingSupport.queueNotFound(QUEUE_TYPE, stream, failure, channel);
        }
        boolean down = BindingSupport.isUnreachable(failure)
                || BindingSupport.cause(failure, RedisConnectionException.class).isPresent()
                || BindingSupport.cause(failure, RedisCommandTimeoutException.class).isPresent()
                || BindingSupport.cause(failure, java.util.concurrent.TimeoutException.class).isPresent()
                // "Connection disconnected", "Currently not connected": a plain RedisException
                || BindingSupport.cause(failure, RedisException.class).map(e -> e.getClass() == RedisException.class).orElse(false)
                // a refused login, in Redis's words (WRONGPASS, NOAUTH), which hold no password
                || BindingSupport.cause(failure, RedisCommandExecutionException.class).map(e -> String.valueOf(e.getMessage())
                        .matches("(?s)(WRONGPASS|NOAUTH|NOPERM).*")).orElse(false);
        if (down) {
            String address = channel == null ? null : addresses.get(channel.credentialId());
            return BindingSupport.connectionFailed(QUEUE_TYPE, address == null ? "(unbound credential)" : address,
                    failure, channel);
        }
        return BindingSupport.other(QUEUE_TYPE, failure, channel);
    }

    private static RedisClients clients(CamelContext context, Channel channel) {
        RedisClients clients = context.getRegistry().lookupByNameAndType(Bindings.beanName(channel.credentialId()),
                RedisClients.class);
        if (clients == null) {
            throw new IllegalStateException("credential " + channel.credentialId() + " is not bound to a Redis client");
        }
        return clients;
    }

    static <T> T get(Future<T> future) throws Exception {
        try {
            return future.get(CALL_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Adds the answer to the stream reply_to names: field body, correlation_id and the attributes. */
    @Override
    public String reply(CamelContext context, Channel channel, String correlationId, String body,
                        Map<String, String> attributes) throws Exception {
        Map<String, byte[]> fields = new LinkedHashMap<>();
        fields.put(RedisEntries.BODY, body.getBytes(StandardCharsets.UTF_8));
        attributes.forEach((name, value) -> {
            if (!name.equals(RedisEntries.BODY) && !BindingSupport.isControlName(name)) {
                fields.put(name, value.getBytes(StandardCharsets.UTF_8));
            }
        });
        if (correlationId != null) {
            fields.put("correlation_id", correlationId.getBytes(StandardCharsets.UTF_8));
        }
        return clients(context, channel).asyncBytes().xadd(channel.address(), fields).get(10, TimeUnit.SECONDS);
    }

    @Override
    public io.caravan.binding.DeadLetterQueue deadLetters(CamelContext context, Channel channel) throws Exception {
        return new RedisDeadLetters(clients(context, channel), channel);
    }
}
