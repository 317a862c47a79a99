package io.caravan.binding.kafka;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.camel.Processor;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.camel.support.DefaultConsumer;

/**
 * The consumer of {@code caravan-kafka}: {@code consumers} poll loops in the workflow's group,
 * each on its own thread with its own KafkaConsumer (which is not thread-safe).
 */
final class KafkaSource extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSource.class);

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
            inheritOffsets(admin, endpoint);
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

    /**
     * Until Caravan 0.9 every workflow read in the credential's {@code consumer_group} itself; now
     * it is the prefix of the workflow's own group. A workflow group that has committed nothing
     * on the topic yet starts where the credential's group stopped (its committed offsets on this
     * topic are copied), so an upgrade neither reads the topic again from the start nor skips
     * anything. The old group's offsets are left as they are.
     */
    static void inheritOffsets(Admin admin, KafkaEndpoint endpoint) throws Exception {
        String old = endpoint.clientFactory().groupId();
        String group = endpoint.group();
        if (old == null || old.isBlank() || old.equals(group)) {
            return;
        }
        if (onTopic(admin, group, endpoint.topic()).isEmpty()) {
            Map<TopicPartition, OffsetAndMetadata> inherited = onTopic(admin, old, endpoint.topic());
            if (!inherited.isEmpty()) {
                admin.alterConsumerGroupOffsets(group, inherited).all().get(10, TimeUnit.SECONDS);
                LOG.info("Consumer group {} starts on topic {} where group {} stopped ({} partitions): the credential's"
                        + " consumer_group is now the prefix of each workflow's group", group, endpoint.topic(), old,
                        inherited.size());
            }
        }
    }

    private static Map<TopicPartition, OffsetAndMetadata> onTopic(Admin admin, String group, String topic)
            throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                .forEach((tp, offset) -> {
                    if (offset != null && tp.topic().equals(topic)) {
                        offsets.put(tp, new OffsetAndMetadata(offset.offset()));
                    }
                });
        return offsets;
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
