package io.caravan.workflow;

import io.caravan.binding.BindingField;
import io.caravan.binding.BindingSpec;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialSpec;
import io.caravan.credential.CredentialSpec.Field;
import io.caravan.credential.CredentialSpec.Kind;
import io.caravan.credential.CredentialStore;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The three bindings' declarations as plain data, mirroring the real ones, for validation tests. */
public final class TestBindings {

    public static final CredentialSpec SQS_CREDENTIAL = new CredentialSpec("queue_aws_sqs", List.of(
            new Field("region", Kind.STRING, true, false, "AWS region"),
            new Field("access_key_id", Kind.STRING, true, true, "access key id"),
            new Field("secret_access_key", Kind.STRING, true, true, "secret access key"),
            new Field("endpoint", Kind.STRING, false, false, "endpoint override")));

    public static final CredentialSpec KAFKA_CREDENTIAL = new CredentialSpec("queue_kafka", List.of(
            new Field("brokers", Kind.STRING_LIST, true, false, "bootstrap servers"),
            new Field("consumer_group", Kind.STRING, true, false, "consumer group"),
            new Field("sasl_mechanism", Kind.STRING, false, false, "SASL mechanism"),
            new Field("sasl_username", Kind.STRING, false, false, "SASL user"),
            new Field("sasl_password", Kind.STRING, false, true, "SASL password"),
            new Field("enable_tls", Kind.BOOLEAN, false, false, "use TLS")));

    public static final CredentialSpec RABBITMQ_CREDENTIAL = new CredentialSpec("queue_rabbitmq", List.of(
            new Field("url", Kind.STRING, true, true, "amqp URL with user and password")));

    public static final BindingSpec SQS = new BindingSpec("sqs", SQS_CREDENTIAL, List.of(), List.of(), Set.of());

    public static final BindingSpec KAFKA = new BindingSpec("kafka", KAFKA_CREDENTIAL,
            List.of(new BindingField("key", true, false, "record key")), List.of(), Set.of());

    public static final BindingSpec RABBITMQ = new BindingSpec("rabbitmq", RABBITMQ_CREDENTIAL,
            List.of(new BindingField("exchange", false, false, "exchange to publish to"),
                    new BindingField("routing_key", false, false, "routing key")),
            List.of(new BindingField("exchange", false, false, "exchange to bind the queue to"),
                    new BindingField("routing_key", false, false, "binding key")),
            Set.of("exchange"));

    public static final List<BindingSpec> ALL = List.of(SQS, KAFKA, RABBITMQ);

    public static final List<CredentialSpec> CREDENTIAL_SPECS = List.of(SQS_CREDENTIAL, KAFKA_CREDENTIAL,
            RABBITMQ_CREDENTIAL);

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
