package io.caravan.runtime.cluster;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster service of every Camel context with Caravan's jar on its class path (added by
 * io.caravan.camel.ClusterServicePlugin when the context is made, before its properties can be
 * read): on first use, when a {@code schedule}'s {@code master:} consumer starts, it reads
 * {@code caravan.cluster.*} from the context's properties and starts the service they describe
 * ({@link ClusterSettings}), to which it hands every call. A context without a schedule never
 * makes one. Caravan's runtime sets the properties; a plain camel-main running compiled routes
 * sets them as it likes (defaults: a file lock under .caravan/cluster in the working directory).
 */
public final class CaravanClusterService extends ServiceSupport implements CamelClusterService {

    private static final Logger LOG = LoggerFactory.getLogger(CaravanClusterService.class);

    private CamelContext context;
    private volatile CamelClusterService delegate;
    private volatile ClusterSettings settings;

    @Override
    public void setCamelContext(CamelContext context) {
        this.context = context;
    }

    @Override
    public CamelContext getCamelContext() {
        return context;
    }

    /** The settings in use; read from the context's properties on first use. */
    public synchronized ClusterSettings settings() {
        if (settings == null) {
            settings = ClusterSettings.from(context.getPropertiesComponent()::resolveProperty, Path.of(""));
        }
        return settings;
    }

    private synchronized CamelClusterService delegate() {
        if (delegate == null) {
            CamelClusterService service = settings().create();
            service.setCamelContext(context);
            ServiceHelper.startService(service);
            LOG.info("schedules fire on one instance: {}; this is {}", settings.describe(), settings.instance());
            delegate = service;
        }
        return delegate;
    }

    @Override
    protected void doStop() {
        CamelClusterService started = delegate;
        if (started != null) {
            ServiceHelper.stopService(started);
        }
    }

    @Override
    public String getId() {
        return settings().instance();
    }

    @Override
    public void setId(String id) {
        // the id is caravan.instance
    }

    @Override
    public CamelClusterView getView(String namespace) throws Exception {
        return delegate().getView(namespace);
    }

    @Override
    public void releaseView(CamelClusterView view) throws Exception {
        delegate().releaseView(view);
    }

    @Override
    public Collection<String> getNamespaces() {
        return delegate == null ? List.of() : delegate.getNamespaces();
    }

    @Override
    public void startView(String namespace) throws Exception {
        delegate().startView(namespace);
    }

    @Override
    public void stopView(String namespace) throws Exception {
        delegate().stopView(namespace);
    }

    @Override
    public boolean isLeader(String namespace) {
        return delegate != null && delegate.isLeader(namespace);
    }

    @Override
    public Map<String, Object> getAttributes() {
        return Map.of("caravan.cluster.service", settings().service());
    }
}
