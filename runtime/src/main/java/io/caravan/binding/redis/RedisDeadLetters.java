package io.caravan.binding.redis;

import io.caravan.binding.Channel;
import io.caravan.binding.DeadLetterQueue;
import io.caravan.binding.ReceivedMessage;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A dead-letter stream on Redis: read with XRANGE, which takes nothing; a redrive deletes each
 * entry (XDEL) once its copy is confirmed. Nothing is held, so closing gives nothing back.
 */
final class RedisDeadLetters implements DeadLetterQueue {

    private final String stream;
    private final RedisAsyncCommands<String, String> redis;

    RedisDeadLetters(RedisClients clients, Channel channel) throws Exception {
        this.stream = channel.address();
        this.redis = clients.async();
        if (RedisProvisioner.get(redis.exists(stream)) == 0) {
            throw new RedisProvisioner.StreamNotFound(stream);
        }
    }

    @Override
    public long count() throws Exception {
        return RedisProvisioner.get(redis.xlen(stream));
    }

    private List<StreamMessage<String, String>> range(int max) throws Exception {
        return RedisProvisioner.get(redis.xrange(stream, Range.create("-", "+"), Limit.from(max)));
    }

    @Override
    public List<ReceivedMessage> browse(int max) throws Exception {
        return range(max).stream().map(e -> RedisEntries.toReceived(stream, e, 0)).toList();
    }

    @Override
    public List<Taken> take(int max, Predicate<ReceivedMessage> wanted) throws Exception {
        List<Taken> out = new ArrayList<>();
        for (StreamMessage<String, String> e : range(Math.max(max, 1000))) {
            ReceivedMessage m = RedisEntries.toReceived(stream, e, 0);
            if (!wanted.test(m)) {
                continue;
            }
            out.add(Taken.of(m, () -> RedisProvisioner.get(redis.xdel(stream, e.getId()))));
            if (out.size() >= max) {
                break;
            }
        }
        return out;
    }

    @Override
    public void close() {
    }
}
