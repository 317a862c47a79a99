package io.caravan.binding.rabbitmq;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * {@code caravan-rabbitmq:<exchange>?connection=#<bean>&queue=&routingKey=...}: Caravan's own
 * RabbitMQ component on amqp-client (docs/CONTRACT: issue 5). camel-spring-rabbitmq runs one
 * message at a time per listener thread and its producer waits for each publisher confirm;
 * this one keeps many runs in flight, acknowledges a message only once its run is done, and
 * completes a send when the broker confirms it. The exchange {@code default} is the default
 * exchange ("").
 *
 * <p>Options: {@code connection} (a {@link RabbitMqConnections}, required), {@code queue} (to
 * consume), {@code routingKey} (to publish with; for a consumer with an exchange, the binding
 * key), {@code exchangeType} (direct, fanout, topic or headers: the type an exchange that does not
 * exist yet is declared with), {@code bindHeaders} (consumer of a headers exchange: {@code a=1&b=2},
 * URL-encoded, matched all), {@code prioritized} (producer: its sends carry priorities, so a queue
 * it declares gets x-max-priority), {@code declare} (consumer: declare the queue durable, and the
 * exchange and binding),
 * {@code prefetch} (consumer: unacknowledged messages, hence runs, in flight), {@code requeue}
 * (consumer: an unhandled failure is nacked with requeue; false rejects it to the queue's
 * dead-letter exchange).
 */
public final class RabbitMqComponent extends io.caravan.camel.CredentialBeans.Component {

    /**
     * Unacknowledged messages, hence runs, in flight per trigger when the node does not set
     * max_messages; measured on 2 cores, RabbitMQ to RabbitMQ with 1 KiB messages (see
     * docs/benchmarks.md): much lower starves the pipeline, much higher only adds memory.
     */
    static final int DEFAULT_PREFETCH = 250;

    private ExecutorService confirms;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        RabbitMqConnections connections = resolveAndRemoveReferenceParameter(parameters, "connection",
                RabbitMqConnections.class);
        if (connections == null) {
            throw new IllegalArgumentException("caravan-rabbitmq needs connection=#<bean>: " + uri);
        }
        String exchange = "default".equals(remaining) ? "" : remaining;
        RabbitMqEndpoint endpoint = new RabbitMqEndpoint(uri, this, connections, exchange,
                getAndRemoveParameter(parameters, "queue", String.class),
                getAndRemoveParameter(parameters, "routingKey", String.class),
                getAndRemoveParameter(parameters, "declare", Boolean.class, Boolean.TRUE),
                getAndRemoveParameter(parameters, "prefetch", Integer.class, DEFAULT_PREFETCH),
                getAndRemoveParameter(parameters, "requeue", Boolean.class, Boolean.TRUE));
        endpoint.exchangeType = getAndRemoveParameter(parameters, "exchangeType", String.class, "direct");
        endpoint.prioritized = getAndRemoveParameter(parameters, "prioritized", Boolean.class, Boolean.FALSE);
        endpoint.threads = getAndRemoveParameter(parameters, "threads", Integer.class, endpoint.threads);
        endpoint.inline = getAndRemoveParameter(parameters, "inline", Boolean.class, false);
        // the one order a queue's runs keep: none (validation refuses the others)
        getAndRemoveParameter(parameters, "ordering", String.class);
        endpoint.bindHeaders = bindHeaders(getAndRemoveParameter(parameters, "bindHeaders", String.class));
        return endpoint;
    }

    /** {@code a=1&b=2} (each part URL-encoded) as binding arguments matching all of them, or null. */
    private static Map<String, Object> bindHeaders(String pairs) {
        if (pairs == null || pairs.isBlank()) {
            return null;
        }
        Map<String, Object> args = new java.util.LinkedHashMap<>();
        args.put("x-match", "all");
        for (String pair : pairs.split("&")) {
            int eq = pair.indexOf('=');
            args.put(java.net.URLDecoder.decode(pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8),
                    java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
        }
        return args;
    }

    /**
     * Where publisher confirms complete their exchanges. amqp-client calls the ConfirmListener on
     * the connection's I/O thread, and the rest of a run must not run there: a blocking call on
     * that connection (a synchronous dead-letter send waiting for its confirm) would wait for the
     * thread it blocks. A cached pool, not a fixed one, for the same reason one level up: runs
     * continued here may wait for confirms that are completed here.
     */
    synchronized ExecutorService confirms() {
        if (confirms == null) {
            confirms = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "CaravanRabbitMQConfirms");
        }
        return confirms;
    }

    @Override
    protected synchronized void doStop() throws Exception {
        if (confirms != null) {
            getCamelContext().getExecutorServiceManager().shutdownGraceful(confirms);
            confirms = null;
        }
        super.doStop();
    }
}
