package io.caravan.binding.redis;

import io.lettuce.core.RedisURI;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * {@code caravan-redis:<stream>?clients=#<bean>}: Caravan's Redis Streams component. No Camel
 * component reads a stream in a consumer group, so this one does: its consumer ({@link RedisConsumer})
 * runs a trigger, its producer ({@link RedisProducer}) adds entries. Kamelets and hand-written
 * routes may give {@code url=redis://...} instead of {@code clients} (the component then makes and
 * closes the client itself).
 *
 * <p>Options: {@code clients} or {@code url}; consumer: {@code group} (required), {@code consumer}
 * (default: host, process and a counter), {@code blockMillis} (1000), {@code readCount} (100),
 * {@code maxInFlight} (1000), {@code reclaimAfterMillis} (30000), {@code attributesAsHeaders} (false:
 * a workflow trigger reads attributes from the received message; a kamelet wants them as headers),
 * {@code ordering} (key, partition: the whole stream, or none; default key), {@code keyField} (key),
 * {@code threads} (32), {@code inline} (false: runs start on the reading thread, for workflows
 * with no blocking step); producer: {@code maxLength}.
 */
public final class RedisComponent extends io.caravan.camel.CredentialBeans.Component {

    public static final String SCHEME = "caravan-redis";

    private ExecutorService completions;

    @Override
    protected Endpoint createEndpoint(String uri, String stream, Map<String, Object> parameters) {
        RedisClients clients = resolveAndRemoveReferenceParameter(parameters, "clients", RedisClients.class);
        String url = getAndRemoveParameter(parameters, "url", String.class);
        boolean own = false;
        if (clients == null && url != null) {
            clients = new RedisClients(RedisURI.create(url), null, "caravan:" + stream);
            own = true;
        }
        if (clients == null) {
            throw new IllegalArgumentException("caravan-redis needs clients=#<bean> or url=redis://...");
        }
        if (stream == null || stream.isBlank()) {
            throw new IllegalArgumentException("caravan-redis needs a stream: caravan-redis:<stream>?...");
        }
        RedisEndpoint endpoint = new RedisEndpoint(uri, this, stream, clients, own);
        endpoint.group = getAndRemoveParameter(parameters, "group", String.class);
        endpoint.workflow = getAndRemoveParameter(parameters, "workflow", String.class);
        endpoint.consumerName = getAndRemoveParameter(parameters, "consumer", String.class);
        endpoint.blockMillis = getAndRemoveParameter(parameters, "blockMillis", Long.class, 1000L);
        endpoint.readCount = getAndRemoveParameter(parameters, "readCount", Integer.class, 100);
        endpoint.maxInFlight = getAndRemoveParameter(parameters, "maxInFlight", Integer.class, 1000);
        endpoint.reclaimAfterMillis = getAndRemoveParameter(parameters, "reclaimAfterMillis", Long.class, 30_000L);
        endpoint.maxLength = getAndRemoveParameter(parameters, "maxLength", Long.class);
        endpoint.attributesAsHeaders = getAndRemoveParameter(parameters, "attributesAsHeaders", Boolean.class, false);
        endpoint.ordering = io.caravan.spec.Capabilities.RunOrder.of(getAndRemoveParameter(parameters, "ordering",
                String.class, io.caravan.spec.Capabilities.RunOrder.KEY.wireName()));
        endpoint.keyField = getAndRemoveParameter(parameters, "keyField", String.class, RedisEntries.KEY);
        endpoint.threads = getAndRemoveParameter(parameters, "threads", Integer.class,
                io.caravan.binding.BindingSupport.DEFAULT_THREADS);
        endpoint.inline = getAndRemoveParameter(parameters, "inline", Boolean.class, false);
        return endpoint;
    }

    /**
     * Where sends and acknowledgements complete: Lettuce completes futures on its I/O threads, and
     * the rest of a run must not run there. Cached, as the other brokers' are.
     */
    synchronized ExecutorService completions() {
        if (completions == null) {
            completions = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "CaravanRedisSends");
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
