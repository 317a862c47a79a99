package io.caravan.compile.idempotency;

import java.net.URI;
import java.time.Duration;
import org.apache.camel.component.redis.processor.idempotent.SpringRedisStringIdempotentRepository;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.jedis.JedisConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Camel's Redis repository that keeps one Redis string per key ({@code <name>:<key>}, written
 * with SET NX and an expiry, so two instances never both claim a key and keys age out after the
 * ttl). This subclass only owns the connection: opened when the route starts the repository,
 * closed when it stops, so a reloaded workflow does not leak connections.
 */
final class RedisRepository extends SpringRedisStringIdempotentRepository {

    private final JedisConnectionFactory connections;

    private RedisRepository(JedisConnectionFactory connections, String name, Duration ttl) {
        super(template(connections), name);
        this.connections = connections;
        setExpiry(Math.max(1, ttl.toSeconds()));
    }

    static RedisRepository create(String url, String name, Duration ttl) {
        URI uri = URI.create(url);
        RedisStandaloneConfiguration config = new RedisStandaloneConfiguration(uri.getHost(),
                uri.getPort() > 0 ? uri.getPort() : 6379);
        String info = uri.getUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            String user = colon < 0 ? null : info.substring(0, colon);
            config.setUsername(user == null || user.isEmpty() ? null : user);
            config.setPassword(colon < 0 ? info : info.substring(colon + 1));
        }
        String path = uri.getPath();
        if (path != null && path.length() > 1) {
            config.setDatabase(Integer.parseInt(path.substring(1)));
        }
        return new RedisRepository(new JedisConnectionFactory(config), name, ttl);
    }

    private static StringRedisTemplate template(JedisConnectionFactory connections) {
        StringRedisTemplate template = new StringRedisTemplate(connections);
        template.afterPropertiesSet();
        return template;
    }

    @Override
    protected void doStart() throws Exception {
        connections.start();
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        connections.stop();
    }
}
