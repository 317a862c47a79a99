package io.caravan.runtime;

import io.caravan.brokers.EmbeddedKafka;
import io.caravan.brokers.EmbeddedSqs;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** The examples run by Caravan's runtime exactly as shipped (with routes/ and kamelets/ beside them). */
class ExampleWorkflowsIT extends ExampleScenarios {

    private CaravanRuntime runtime;

    @Override
    EmbeddedKafka kafka() {
        return TestBrokers.kafka();
    }

    @Override
    EmbeddedSqs sqs() {
        return TestBrokers.sqs();
    }

    @Override
    void startHub(Path credentials) throws Exception {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putIfAbsent("CARAVAN_IT_SECRET", "x");
        RuntimeOptions options = RuntimeOptions.defaults(Path.of(".")).withCredentials(credentials)
                .withProperties(Map.of("caravan.http.port", String.valueOf(port),
                        // the example route in routes/ reaches the brokers through kamelet parameters
                        "examples.kafka.brokers", kafka.bootstrapServers(),
                        "examples.sqs.endpoint", sqs.endpoint(),
                        "caravan.management.port", String.valueOf(Ports.free())))
                .withEnv(env);
        runtime = CaravanRuntime.create(options).start();
    }

    @Override
    void stopHub() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
    }
}
