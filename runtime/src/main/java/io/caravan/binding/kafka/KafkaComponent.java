package io.caravan.binding.kafka;

import io.caravan.spec.Capabilities;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * {@code caravan-kafka:<topic>?clientFactory=#<bean>[&workflow=<id>][&group=<group>]}: Caravan's
 * Kafka component; a consumer reads in {@code group}, else {@code <credential group>.<workflow>}. Its consumer
 * ({@link KafkaSource}) runs a trigger; its producer ({@link KafkaSink}) sends.
 *
 * <p>Why not camel-kafka's consumer: it hands each record to the route and waits for the
 * exchange to finish before it takes the next one (KafkaRecordProcessor), so a pipe waits for
 * every outgoing record's {@code acks=all} reply in turn (FIELD-NOTES: 4.5k msg/s against 130k for
 * the raw client). Its batching mode avoids that by holding records for a batching interval, which
 * costs that interval in latency at low rates. {@link KafkaSource} keeps many runs in flight and
 * commits, per partition, only up to the first record whose run has not finished.
 */
public final class KafkaComponent extends io.caravan.camel.CredentialBeans.Component {

    public static final String SCHEME = "caravan-kafka";
    @Override
    protected Endpoint createEndpoint(String uri, String topic, Map<String, Object> parameters) throws Exception {
        CredentialKafkaClientFactory factory = resolveAndRemoveReferenceParameter(parameters, "clientFactory",
                CredentialKafkaClientFactory.class);
        if (factory == null) {
            throw new IllegalArgumentException(uri + ": clientFactory=#<bean> is required");
        }
        KafkaEndpoint endpoint = new KafkaEndpoint(uri, this, topic, factory);
        endpoint.setGroup(factory.groupFor(getAndRemoveParameter(parameters, "workflow", String.class),
                getAndRemoveParameter(parameters, "group", String.class)));
        endpoint.setMaxPollRecords(getAndRemoveParameter(parameters, "maxPollRecords", Integer.class, 500));
        endpoint.setMaxInFlight(getAndRemoveParameter(parameters, "maxInFlight", Integer.class, 5000));
        endpoint.setConsumers(getAndRemoveParameter(parameters, "consumers", Integer.class, 1));
        endpoint.setPollTimeoutMs(getAndRemoveParameter(parameters, "pollTimeoutMs", Long.class, 500L));
        endpoint.setOrdering(Capabilities.RunOrder.of(getAndRemoveParameter(parameters, "ordering", String.class, "key")));
        endpoint.setConcurrency(getAndRemoveParameter(parameters, "threads", Integer.class, io.caravan.binding.BindingSupport.DEFAULT_THREADS));
        return endpoint;
    }

    private ExecutorService completions;

    /**
     * Where sends complete: Kafka calls a send's callback on the producer's I/O thread, and the
     * rest of a run must not run there (a blocking send on that producer would wait for the
     * thread it blocks). Cached, as RabbitMQ's confirms are: runs continued here may send again.
     */
    synchronized ExecutorService completions() {
        if (completions == null) {
            completions = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "CaravanKafkaSends");
        }
        return completions;
    }

    @Override
    protected synchronized void doStop() throws Exception {
        if (completions != null) {
            getCamelContext().getExecutorServiceManager().shutdownGraceful(completions);
            completions = null;
        }
        super.doStop();
    }
}
