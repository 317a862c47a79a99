package io.caravan.binding.kafka;

import java.util.ArrayList;
import java.util.List;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;

/**
 * The consumer of {@code caravan-kafka}: {@code consumers} poll loops in the credential's group,
 * each on its own thread with its own KafkaConsumer (which is not thread-safe).
 */
final class KafkaSource extends DefaultConsumer {

    private final List<KafkaPollLoop> loops = new ArrayList<>();

    KafkaSource(KafkaSourceEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public KafkaSourceEndpoint getEndpoint() {
        return (KafkaSourceEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        KafkaSourceEndpoint endpoint = getEndpoint();
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
