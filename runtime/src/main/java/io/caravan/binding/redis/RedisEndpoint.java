package io.caravan.binding.redis;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/** One stream on one Redis client; see {@link RedisComponent} for the options. */
public final class RedisEndpoint extends DefaultEndpoint {

    private static final AtomicInteger CONSUMERS = new AtomicInteger();

    private final String stream;
    private final RedisClients clients;
    /** Whether this endpoint made its client from a url (a kamelet) and so closes it. */
    private final boolean ownsClients;
    /** The group named on the endpoint (a node's consumer_group, a kamelet's group), or null. */
    String group;
    /** The workflow whose group this is when none is named. */
    String workflow;
    String consumerName;
    long blockMillis;
    int readCount;
    int maxInFlight;
    long reclaimAfterMillis;
    Long maxLength;
    boolean attributesAsHeaders;
    io.caravan.spec.Capabilities.RunOrder ordering = io.caravan.spec.Capabilities.RunOrder.KEY;
    String keyField = RedisEntries.KEY;
    int threads = io.caravan.binding.BindingSupport.DEFAULT_THREADS;
    /** Runs start on the thread that took the entry (the workflow has no blocking step): no hand-off to a worker. */
    boolean inline;

    RedisEndpoint(String uri, RedisComponent component, String stream, RedisClients clients, boolean ownsClients) {
        super(uri, component);
        this.stream = stream;
        this.clients = clients;
        this.ownsClients = ownsClients;
    }

    @Override
    public RedisComponent getComponent() {
        return (RedisComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new RedisProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if ((group == null || group.isBlank()) && (workflow == null || workflow.isBlank())) {
            throw new IllegalArgumentException("caravan-redis consumer needs group= or workflow=: " + getEndpointUri());
        }
        RedisConsumer consumer = new RedisConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public boolean isRemote() {
        return true;
    }

    String stream() {
        return stream;
    }

    RedisClients clients() {
        return clients;
    }

    /** The group to join ({@link RedisClients#group}). */
    String group() {
        return clients.group(workflow, group);
    }

    /**
     * This consumer's name in its group: unique per process and consumer, so two instances on one
     * host never share pending entries; a dead one's are claimed after reclaimAfterMillis.
     */
    String newConsumerName() {
        if (consumerName != null && !consumerName.isBlank()) {
            return consumerName;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid() + "-" + CONSUMERS.incrementAndGet();
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        if (ownsClients) {
            clients.close();
        }
    }
}
