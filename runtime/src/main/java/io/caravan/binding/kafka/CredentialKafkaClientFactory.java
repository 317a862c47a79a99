package io.caravan.binding.kafka;

import io.caravan.tls.Tls;
import io.caravan.credential.Credential;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.apache.camel.component.kafka.KafkaClientFactory;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * Creates Kafka clients for one {@code queue_kafka} credential: endpoints reference it as
 * {@code clientFactory=#...} and it adds the brokers and SASL/TLS settings to the client
 * properties, so none of them is an endpoint option. The credential's {@code consumer_group} is
 * the prefix of its workflows' groups ({@link #groupFor}).
 */
public final class CredentialKafkaClientFactory implements KafkaClientFactory {

    private final String brokers;
    private final String groupId;
    private final Properties security = new Properties();

    public CredentialKafkaClientFactory(Credential credential) {
        Object list = credential.get("brokers");
        this.brokers = list instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList())
                : String.valueOf(list);
        this.groupId = credential.string("consumer_group");
        boolean tls = Boolean.parseBoolean(String.valueOf(credential.get("enable_tls")));
        String mechanism = credential.string("sasl_mechanism");
        boolean sasl = mechanism != null && !mechanism.isBlank();
        security.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG,
                sasl ? (tls ? "SASL_SSL" : "SASL_PLAINTEXT") : (tls ? "SSL" : "PLAINTEXT"));
        if (tls) {
            // Kafka reads PEM trust stores itself (KIP-651) and checks the host name by default
            Tls.caFile(credential).ifPresent(ca -> {
                security.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
                security.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, ca.toString());
            });
        }
        if (sasl) {
            String m = mechanism.toUpperCase(Locale.ROOT);
            security.put(SaslConfigs.SASL_MECHANISM, m);
            String module = m.startsWith("SCRAM-") ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                    : "org.apache.kafka.common.security.plain.PlainLoginModule";
            security.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\""
                    + jaasEscape(credential.string("sasl_username")) + "\" password=\""
                    + jaasEscape(credential.string("sasl_password")) + "\";");
        }
    }

    /**
     * The consumer group a workflow reads in: the node's own {@code consumer_group} when it names
     * one, else {@code <credential consumer_group>.<workflow id>}, so every workflow reading a
     * topic is its own subscriber and gets every record, and every instance running a workflow
     * shares its records. Without a workflow (a hand-written route): the credential's group.
     */
    String groupFor(String workflowId, String explicit) {
        if ((explicit == null || explicit.isBlank()) && (workflowId == null || workflowId.isBlank())) {
            return groupId;
        }
        return io.caravan.binding.BindingSupport.groupName(groupId, workflowId, explicit);
    }

    /** The client properties for this credential (bootstrap servers, security) and, for a consumer, its group. */
    Properties apply(Properties props, String group) {
        apply(props, false);
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        return props;
    }

    /** The client properties for this credential (bootstrap servers, security, group), for direct clients. */
    Properties apply(Properties props, boolean consumer) {
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.putAll(security);
        // KIP-714 client telemetry: the client formats a String on every network poll to decide
        // when to push metrics a broker may not even collect (seen in a profile of a Kafka pipe);
        // Caravan's metrics are its own
        props.put(CommonClientConfigs.ENABLE_METRICS_PUSH_CONFIG, "false");
        if (consumer && groupId != null) {
            // camel-kafka's own consumers (hand-written routes): the credential names the group, it
            // wins over the random group Camel uses when none is set
            props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        return props;
    }

    String brokers() {
        return brokers;
    }

    /** The credential's {@code consumer_group}: the prefix of its workflows' groups. */
    String groupId() {
        return groupId;
    }

    @Override
    public Producer getProducer(Properties props) {
        return new KafkaProducer<>(apply(props, false));
    }

    @Override
    public Consumer getConsumer(Properties props) {
        return new KafkaConsumer<>(apply(props, true));
    }

    @Override
    public String getBrokers(KafkaConfiguration configuration) {
        return brokers;
    }

    private static String jaasEscape(String value) {
        return value == null ? "" : value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Never shows the JAAS line: it holds the password. */
    @Override
    public String toString() {
        return "CredentialKafkaClientFactory[" + brokers + ", group=" + groupId + "]";
    }
}
