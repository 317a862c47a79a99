package io.caravan.binding.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;

/**
 * The consumer of {@code caravan-kafka}: {@code consumers} poll loops in the credential's group,
 * each on its own thread with its own KafkaConsumer (which is not thread-safe).
 */
final class KafkaSource extends DefaultConsumer {

    private final List<KafkaPollLoop> loops = new ArrayList<>();

    KafkaSource(KafkaEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public KafkaEndpoint getEndpoint() {
        return (KafkaEndpoint) super.getEndpoint();
    }

    /**
     * Fails when no broker answers, as the other brokers' consumers do: the workflow then waits
     * and starts once Kafka answers (WorkflowDeployer), and /ready says why. A consumer alone
     * would retry quietly forever. Only reachability is checked: a topic that does not exist yet
     * is created on first use where the brokers allow it, or awaited.
     */
    @Override
    protected void doStart() throws Exception {
        super.doStart();
        KafkaEndpoint endpoint = getEndpoint();
        Properties props = endpoint.clientFactory().apply(new Properties(), false);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "caravan-start-" + endpoint.topic());
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        for (int i = 0; i < endpoint.consumers(); i++) {
            KafkaPollLoop loop = new KafkaPollLoop(this, endpoint, i);
            loops.add(loop);
            Thread thread = new Thread(loop, "caravan-kafka-" + endpoint.topic() + "-" + i);
            thread.setDaemon(true);
            thread.start();
        }
    }

    /** Stops polling, lets the runs in flight finish (bounded), commits what finished, closes. */
    @Override
    protected void doStop() throws Exception {
        loops.forEach(KafkaPollLoop::stop);
        for (KafkaPollLoop loop : loops) {
            loop.awaitClosed();
        }
        loops.clear();
        super.doStop();
    }
}
