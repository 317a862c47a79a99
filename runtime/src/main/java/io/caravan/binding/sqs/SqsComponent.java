package io.caravan.binding.sqs;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * {@code caravan-sqs:<queue name>?client=#<bean>[&queueUrl=...][&waitTimeSeconds=..][&maxMessagesPerPoll=..]
 * [&concurrentConsumers=..][&maxInFlight=..][&ordering=key|none][&threads=..][&inline=true]}: SQS with batched receive, send and delete, which
 * camel-aws2-sqs does not do (one SendMessage and one DeleteMessage per exchange, one exchange at a
 * time per poll). The client is always a registry bean, so a URI carries no secret.
 */
public final class SqsComponent extends io.caravan.camel.CredentialBeans.Component {

    private ExecutorService pool;

    /** Batch senders and deleters of all endpoints: threads exist only while requests run. */
    synchronized ExecutorService pool() {
        if (pool == null) {
            pool = getCamelContext().getExecutorServiceManager().newCachedThreadPool(this, "caravan-sqs");
        }
        return pool;
    }

    @Override
    protected synchronized void doStop() throws Exception {
        if (pool != null) {
            getCamelContext().getExecutorServiceManager().shutdown(pool);
            pool = null;
        }
        super.doStop();
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        SqsClient client = resolveAndRemoveReferenceParameter(parameters, "client", SqsClient.class);
        if (client == null) {
            throw new IllegalArgumentException("caravan-sqs needs client=#<bean name of an SqsClient>: " + uri);
        }
        SqsEndpoint endpoint = new SqsEndpoint(uri, this, client, remaining,
                getAndRemoveParameter(parameters, "queueUrl", String.class));
        endpoint.waitTimeSeconds = getAndRemoveParameter(parameters, "waitTimeSeconds", Integer.class,
                endpoint.waitTimeSeconds);
        endpoint.maxMessagesPerPoll = getAndRemoveParameter(parameters, "maxMessagesPerPoll", Integer.class,
                endpoint.maxMessagesPerPoll);
        endpoint.concurrentConsumers = getAndRemoveParameter(parameters, "concurrentConsumers", Integer.class,
                endpoint.concurrentConsumers);
        endpoint.maxInFlight = getAndRemoveParameter(parameters, "maxInFlight", Integer.class, endpoint.maxInFlight);
        endpoint.ordering = io.caravan.spec.Capabilities.RunOrder.of(getAndRemoveParameter(parameters, "ordering",
                String.class, endpoint.ordering.wireName()));
        endpoint.threads = getAndRemoveParameter(parameters, "threads", Integer.class, endpoint.threads);
        endpoint.inline = getAndRemoveParameter(parameters, "inline", Boolean.class, false);
        return endpoint;
    }
}
