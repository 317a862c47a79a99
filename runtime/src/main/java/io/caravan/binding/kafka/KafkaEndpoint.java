package io.caravan.binding.kafka;

import io.caravan.spec.Capabilities;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * One topic: read by one consumer group (the workflow's), or written to.
 *
 * <ul>
 *   <li>{@code maxPollRecords} (500, Kafka's default): records one poll returns.</li>
 *   <li>{@code maxInFlight} (5000): records taken and not yet committed, per consumer; above it
 *       the consumer pauses its partitions and keeps polling, so it stays in the group.</li>
 *   <li>{@code consumers} (1): consumers in the group, each with its own thread; useful up to
 *       the topic's partition count.</li>
 *   <li>{@code ordering} ({@code key}): a record starts once the previous one with its key
 *       ({@code key}) or of its partition ({@code partition}) finished, or at once ({@code none}).</li>
 *   <li>{@code threads} (32): threads that run records, per consumer; a run holds one until
 *       it first waits without blocking (a send), so blocking steps run side by side.</li>
 *   <li>{@code pollTimeoutMs} (500): the longest a poll blocks; also bounds how long a finished
 *       run waits for its commit when no record arrives.</li>
 * </ul>
 */
public final class KafkaEndpoint extends DefaultEndpoint {

    private final String topic;
    private final CredentialKafkaClientFactory clientFactory;
    private String group;
    private int maxPollRecords;
    private int maxInFlight;
    private int consumers;
    private long pollTimeoutMs;
    private Capabilities.RunOrder ordering = Capabilities.RunOrder.KEY;
    private int concurrency = io.caravan.binding.BindingSupport.DEFAULT_THREADS;

    KafkaEndpoint(String uri, KafkaComponent component, String topic, CredentialKafkaClientFactory factory) {
        super(uri, component);
        this.topic = topic;
        this.clientFactory = factory;
    }

    @Override
    public Producer createProducer() {
        return new KafkaSink(this);
    }

    @Override
    public KafkaComponent getComponent() {
        return (KafkaComponent) super.getComponent();
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        KafkaSource consumer = new KafkaSource(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public boolean isRemote() {
        return true;
    }

    String topic() {
        return topic;
    }

    CredentialKafkaClientFactory clientFactory() {
        return clientFactory;
    }

    /** The consumer group this endpoint's consumers join. */
    String group() {
        return group;
    }

    void setGroup(String group) {
        this.group = group;
    }

    int maxPollRecords() {
        return maxPollRecords;
    }

    void setMaxPollRecords(int maxPollRecords) {
        this.maxPollRecords = Math.max(1, maxPollRecords);
    }

    int maxInFlight() {
        return maxInFlight;
    }

    void setMaxInFlight(int maxInFlight) {
        this.maxInFlight = Math.max(1, maxInFlight);
    }

    int consumers() {
        return consumers;
    }

    void setConsumers(int consumers) {
        this.consumers = Math.max(1, consumers);
    }

    Capabilities.RunOrder ordering() {
        return ordering;
    }

    void setOrdering(Capabilities.RunOrder ordering) {
        this.ordering = ordering;
    }

    int concurrency() {
        return concurrency;
    }

    void setConcurrency(int concurrency) {
        this.concurrency = Math.max(1, concurrency);
    }

    long pollTimeoutMs() {
        return pollTimeoutMs;
    }

    void setPollTimeoutMs(long pollTimeoutMs) {
        this.pollTimeoutMs = Math.max(10, pollTimeoutMs);
    }
}
