package io.caravan.workflow;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialStore;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.CredentialSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The brokers' real specs, and one credential of each type, for validation tests. */
public final class TestBindings {

    public static final List<BrokerSpec> ALL = Bindings.ALL.stream().map(Binding::spec).toList();

    public static final List<CredentialSpec> CREDENTIAL_SPECS = ALL.stream().map(BrokerSpec::credential).toList();

    /** One credential of each type: sqs-cred, kafka-cred, rabbit-cred. */
    public static final CredentialStore CREDENTIALS = CredentialStore.of(List.of(
            new Credential("sqs-cred", "queue_aws_sqs", Map.of("region", "us-east-1", "access_key_id", "AKIA",
                    "secret_access_key", "s3cr3t"), Set.of("access_key_id", "secret_access_key")),
            new Credential("kafka-cred", "queue_kafka", Map.of("brokers", List.of("localhost:9092"),
                    "consumer_group", "caravan"), Set.of("sasl_password")),
            new Credential("rabbit-cred", "queue_rabbitmq", Map.of("url", "amqp://guest:guest@localhost"),
                    Set.of("url"))));

    private TestBindings() {
    }
}
