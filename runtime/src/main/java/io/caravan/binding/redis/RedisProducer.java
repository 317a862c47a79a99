package io.caravan.binding.redis;

import io.caravan.binding.Messages;
import io.lettuce.core.XAddArgs;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import org.apache.camel.AsyncCallback;
import org.apache.camel.Exchange;
import org.apache.camel.support.DefaultAsyncProducer;

/**
 * Adds each exchange as one entry (XADD) without waiting for the previous one: the body in the
 * field {@code body}, every non-control header as a field of its own (an attribute named
 * {@code body} cannot be one, and is left out). The exchange completes when Redis answers, with
 * the entry's id in {@link Messages#MESSAGE_ID}. With {@code maxLength} each XADD trims the
 * stream to about that many entries ({@code MAXLEN ~}).
 */
final class RedisProducer extends DefaultAsyncProducer {

    private final RedisEndpoint endpoint;
    private final XAddArgs args;

    RedisProducer(RedisEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
        this.args = endpoint.maxLength == null ? new XAddArgs()
                : XAddArgs.Builder.maxlen(endpoint.maxLength).approximateTrimming();
    }

    @Override
    public boolean process(Exchange exchange, AsyncCallback callback) {
        try {
            Map<String, byte[]> fields = new LinkedHashMap<>();
            // bytes as they are (a dead letter of a non-UTF-8 entry), text as UTF-8
            Object body = exchange.getMessage().getBody();
            fields.put(RedisEntries.BODY, body instanceof byte[] bytes ? bytes
                    : exchange.getMessage().getMandatoryBody(String.class).getBytes(StandardCharsets.UTF_8));
            Messages.attributes(exchange.getMessage()).forEach((name, value) -> {
                if (!name.equals(RedisEntries.BODY)) {
                    fields.put(name, value.getBytes(StandardCharsets.UTF_8));
                }
            });
            endpoint.clients().asyncBytes().xadd(endpoint.stream(), args, fields).whenComplete((id, failure) -> complete(() -> {
                if (failure != null) {
                    exchange.setException(failure);
                } else {
                    exchange.getMessage().setHeader(Messages.MESSAGE_ID, id);
                }
                callback.done(false);
            }));
            return false;
        } catch (Exception e) {
            exchange.setException(e);
            callback.done(true);
            return true;
        }
    }

    /** On the component's executor, never on Lettuce's I/O thread. */
    private void complete(Runnable task) {
        try {
            endpoint.getComponent().completions().execute(task);
        } catch (RejectedExecutionException stopping) {
            ForkJoinPool.commonPool().execute(task);
        }
    }
}
