package io.caravan.camel;

import io.caravan.runtime.cluster.CaravanClusterService;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.spi.ContextServicePlugin;

/**
 * Gives every Camel context with Caravan's jar on its class path the cluster service that
 * compiled {@code schedule} routes ({@code master:...}) need: Caravan's runtime and a plain
 * camel-main running what {@code caravan compile} printed alike. Camel finds this plugin through
 * java.util.ServiceLoader (ContextServicePlugin) while it makes the context, before its
 * properties can be read, so the service it adds reads {@code caravan.cluster.*} on first use
 * ({@link CaravanClusterService}). A context that has a cluster service already keeps its own.
 */
public final class ClusterServicePlugin implements ContextServicePlugin {

    @Override
    public void load(CamelContext context) {
        if (context.hasService(CamelClusterService.class) != null) {
            return;
        }
        try {
            context.addService(new CaravanClusterService());
        } catch (Exception e) {
            throw new IllegalStateException("cannot add Caravan's cluster service: " + e.getMessage(), e);
        }
    }
}
