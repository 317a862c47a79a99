package io.caravan.compile.idempotency;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.List;

/**
 * Keys in Redis, one string per key at {@code <name>:<key>}: while a run goes on it holds
 * {@code claim:<owner>} with a lease as its expiry (SET NX PX, so two instances never both claim
 * it); a finished run replaces it with {@code done} and the ttl. Any other value, such as the key
 * itself that earlier versions wrote, also means done. Releasing and renewing compare the owner
 * first (a Lua script, atomic on the server), so an instance never drops or extends a claim it
 * lost to another after its lease ran out.
 *
 * <p>One Lettuce connection, opened on first use (a Redis that is down fails runs, which the
 * broker then redelivers, rather than the workflow's start) and reconnected by Lettuce.
 */
final class RedisRepository extends LeasedRepository {

    private static final String CLAIM = "claim:";
    private static final String DONE = "done";
    private static final String RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then"
            + " return redis.call('del', KEYS[1]) else return 0 end";
    private static final String RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then"
            + " return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

    private final RedisURI uri;
    private final Duration ttl;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;

    private RedisRepository(RedisURI uri, String name, Duration ttl, Duration lease) {
        super(name, lease);
        this.uri = uri;
        this.ttl = ttl;
    }

    /** @param url redis://[user:password@]host[:port][/db] or rediss:// */
    static RedisRepository create(String url, String name, Duration ttl, Duration lease) {
        RedisURI uri = RedisURI.create(url);
        uri.setTimeout(Duration.ofSeconds(10));
        uri.setClientName("caravan-idempotency");
        return new RedisRepository(uri, name, ttl, lease);
    }

    private synchronized RedisCommands<String, String> redis() {
        if (connection == null) {
            if (client == null) {
                client = RedisClient.create(uri);
            }
            connection = client.connect();
        }
        return connection.sync();
    }

    private String at(String key) {
        return name + ":" + key;
    }

    @Override
    protected Claim claim(String key) {
        RedisCommands<String, String> redis = redis();
        while (true) {
            if ("OK".equals(redis.set(at(key), CLAIM + owner, SetArgs.Builder.nx().px(lease.toMillis())))) {
                return Claim.CLAIMED;
            }
            String value = redis.get(at(key));
            if (value != null) {
                return value.startsWith(CLAIM) ? Claim.BUSY : Claim.DONE;
            }
            // released or expired between the two commands: claim again
        }
    }

    @Override
    protected void record(String key) {
        // unconditional: this run finished, whoever holds a claim now
        redis().set(at(key), DONE, SetArgs.Builder.ex(Math.max(1, ttl.toSeconds())));
    }

    @Override
    protected void release(String key) {
        redis().eval(RELEASE, ScriptOutputType.INTEGER, new String[] {at(key)}, CLAIM + owner);
    }

    @Override
    protected void renew(List<String> keys) {
        RedisCommands<String, String> redis = redis();
        for (String key : keys) {
            redis.eval(RENEW, ScriptOutputType.INTEGER, new String[] {at(key)}, CLAIM + owner,
                    String.valueOf(lease.toMillis()));
        }
    }

    @Override
    protected boolean recorded(String key) {
        String value = redis().get(at(key));
        return value != null && !value.startsWith(CLAIM);
    }

    @Override
    protected synchronized void disconnect() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            client = null;
        }
    }

    /** Never the URI: it may hold the password. */
    @Override
    public String toString() {
        return "RedisRepository[" + uri.getHost() + ":" + uri.getPort() + ", " + name + "]";
    }
}
