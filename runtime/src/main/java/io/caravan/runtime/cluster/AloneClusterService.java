package io.caravan.runtime.cluster;

import java.util.List;
import java.util.Optional;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.apache.camel.support.cluster.AbstractCamelClusterView;

/**
 * {@code caravan.cluster.service=none}: a cluster of one, where this instance leads every
 * namespace from the start, so each schedule fires here whatever other instances do.
 */
final class AloneClusterService extends AbstractCamelClusterService<AloneClusterService.View> {

    AloneClusterService(String id) {
        super(id);
    }

    @Override
    protected View createView(String namespace) {
        return new View(this, namespace);
    }

    static final class View extends AbstractCamelClusterView {

        private final CamelClusterMember self;

        View(AloneClusterService service, String namespace) {
            super(service, namespace);
            this.self = new CamelClusterMember() {
                @Override
                public boolean isLeader() {
                    return true;
                }

                @Override
                public boolean isLocal() {
                    return true;
                }

                @Override
                public String getId() {
                    return service.getId();
                }
            };
        }

        /** A listener added later still learns that this instance leads (camel-master adds its own after the view started). */
        @Override
        public void addEventListener(CamelClusterEventListener listener) {
            super.addEventListener(listener);
            if (listener instanceof CamelClusterEventListener.Leadership leadership) {
                leadership.leadershipChanged(this, self);
            }
        }

        @Override
        public Optional<CamelClusterMember> getLeader() {
            return Optional.of(self);
        }

        @Override
        public CamelClusterMember getLocalMember() {
            return self;
        }

        @Override
        public List<CamelClusterMember> getMembers() {
            return List.of(self);
        }

        @Override
        protected void doStart() {
        }

        @Override
        protected void doStop() {
        }
    }
}
