package io.caravan.workflowtest;

import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultComponent;
import org.apache.camel.support.DefaultConsumer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

/**
 * Stands in for a component that reaches outside (a broker's, platform-http, the schedule's):
 * its consumers are started by the test harness instead of a broker, a request or a timer, and
 * its producers hand each exchange to the harness instead of a broker. Every option of the real
 * endpoint's URI is accepted and ignored.
 */
final class StubComponent extends DefaultComponent {

    /** Where the consumers of a route are kept and where sends go, for one harness. */
    interface Wiring {
        void consumer(String scheme, String remaining, Processor processor);

        void send(String scheme, String remaining, Exchange exchange) throws Exception;
    }

    private final Wiring wiring;

    StubComponent(Wiring wiring) {
        this.wiring = wiring;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        parameters.clear();
        return new StubEndpoint(uri, this, remaining);
    }

    @Override
    public boolean useRawUri() {
        // the real URIs carry RAW(...) and #bean references: none of them is resolved here
        return true;
    }

    private final class StubEndpoint extends DefaultEndpoint {
        private final String remaining;

        StubEndpoint(String uri, StubComponent component, String remaining) {
            super(uri, component);
            this.remaining = remaining;
        }

        @Override
        public boolean isLenientProperties() {
            return true;
        }

        @Override
        public Producer createProducer() {
            return new DefaultProducer(this) {
                @Override
                public void process(Exchange exchange) throws Exception {
                    wiring.send(scheme(), remaining, exchange);
                }
            };
        }

        private String scheme() {
            String uri = getEndpointUri();
            return uri.substring(0, uri.indexOf(':'));
        }

        @Override
        public org.apache.camel.Consumer createConsumer(Processor processor) {
            return new DefaultConsumer(this, processor) {
                @Override
                protected void doStart() throws Exception {
                    super.doStart();
                    wiring.consumer(scheme(), remaining, getProcessor());
                }
            };
        }
    }
}
