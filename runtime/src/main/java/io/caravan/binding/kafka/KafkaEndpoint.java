package io.caravan.binding.kafka;

import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

/**
 * One topic: read by one consumer group (the workflow's), or written to.
 *
 * <ul>
 *   <li>{@code maxPollRecords} (500, Kafka's default): records one poll returns.</li>
 *   <li>{@code maxInFlight} (5000): runs started and not finished, per consumer; above it the
 *       consumer pauses its partitions and keeps polling, so it stays in the group.</li>
 *   <li>{@code consumers} (1): consumers in the group, each with its own thread; useful up to
 *       the topic's partition count.</li>
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

    long pollTimeoutMs() {
        return pollTimeoutMs;
    }

    void setPollTimeoutMs(long pollTimeoutMs) {
        this.pollTimeoutMs = Math.max(10, pollTimeoutMs);
    }
}
