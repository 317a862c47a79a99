package io.caravan.binding.rabbitmq;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/** One exchange/queue on one credential's connections; see {@link RabbitMqComponent} for the options. */
public final class RabbitMqEndpoint extends DefaultEndpoint {

    private final RabbitMqConnections connections;
    private final String exchange;
    private final String queue;
    private final String routingKey;
    private final boolean declare;
    private final int prefetch;
    private final boolean requeue;
    /** The type a missing exchange is declared with. */
    String exchangeType = "direct";
    /** Producer: sends carry priorities, so the queue it declares gets x-max-priority. */
    boolean prioritized;
    /** Worker threads that run the deliveries, so a blocking step holds no channel. */
    int threads = io.caravan.binding.BindingSupport.DEFAULT_THREADS;
    /** Runs start on amqp-client's dispatch thread (the workflow has no blocking step): no hand-off. */
    boolean inline;
    /** Binding arguments on a headers exchange, or null. */
    java.util.Map<String, Object> bindHeaders;

    RabbitMqEndpoint(String uri, RabbitMqComponent component, RabbitMqConnections connections, String exchange,
                     String queue, String routingKey, boolean declare, int prefetch, boolean requeue) {
        super(uri, component);
        this.connections = connections;
        this.exchange = exchange;
        this.queue = queue;
        this.routingKey = routingKey;
        this.declare = declare;
        this.prefetch = Math.max(1, prefetch);
        this.requeue = requeue;
    }

    @Override
    public RabbitMqComponent getComponent() {
        return (RabbitMqComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new RabbitMqProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if (queue == null || queue.isBlank()) {
            throw new IllegalArgumentException("caravan-rabbitmq consumer needs queue=: " + getEndpointUri());
        }
        RabbitMqConsumer consumer = new RabbitMqConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    RabbitMqConnections connections() {
        return connections;
    }

    /** "" is the default exchange. */
    String exchange() {
        return exchange;
    }

    String queue() {
        return queue;
    }

    String routingKey() {
        return routingKey != null ? routingKey : queue != null ? queue : "";
    }

    boolean declare() {
        return declare;
    }

    int prefetch() {
        return prefetch;
    }

    boolean requeue() {
        return requeue;
    }
}
