package io.caravan.binding.redis;

import static io.caravan.binding.BindingSupport.q;

import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.Provisioner;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Capabilities;
import io.caravan.tls.Tls;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.camel.CamelContext;

/**
 * Redis Streams on Caravan's own {@code caravan-redis} component ({@link RedisComponent}, on the
 * Lettuce client). An entry carries the message body in its field {@code body} and each attribute
 * as another field. A trigger reads in a consumer group (the workflow's), keeps many runs in
 * flight and acknowledges (XACK) each entry once its run finished or its dead letter is
 * confirmed; entries a consumer took and never acknowledged are claimed again after
 * {@code reclaim_after}. A send is an XADD, complete when Redis answers with the entry's id.
 */
public final class RedisBinding implements Binding {

    public static final String QUEUE_TYPE = "redis";

    /** send_message: approximate length cap of the stream. */
    public static final Field MAX_LENGTH = Field.wholeNumber("max_length", "keep about this many entries: each send"
            + " trims older ones (XADD MAXLEN ~, so the stream may hold a few more)").atLeast(1).withExample("100000");
    /** receive_message: idle time after which a pending entry is claimed again. */
    public static final Field RECLAIM_AFTER = Field.duration("reclaim_after", "an entry taken and not acknowledged"
            + " for this long (its consumer died, or its run failed) is claimed and run again (XAUTOCLAIM); longer"
            + " than the slowest run").mustBePositive().withDefault(Duration.ofSeconds(30)).withExample("2m");

    /** receive_message: the entry field ordering: key goes by. */
    public static final Field KEY_FIELD = Field.string("key_field", "the entry field that is a message's key for"
            + " ordering: key (entries with the same value run one after another; entries without the field run side"
            + " by side)").withDefault(RedisEntries.KEY).withExample("account_id");

    private static final BrokerSpec SPEC = new BrokerSpec(QUEUE_TYPE, "Redis Streams",
            new CredentialSpec("queue_redis", "a Redis server (5.0 or later; 7.0 or later for XAUTOCLAIM's deleted"
                    + " entries and consumer-group lag)", List.of(
                    Field.string("url", "redis://host:6379 or rediss:// for TLS; user and password may be in it"
                            + " (redis://user:password@host:6379/0)").asRequired().asSecret().withExample("${REDIS_URL}"),
                    Field.string("username", "ACL user, instead of one in the url").withExample("caravan"),
                    Field.string("password", "password, instead of one in the url").asSecret()
                            .withExample("${REDIS_PASSWORD}"),
                    Field.string("consumer_group", "prefix of the consumer groups: a workflow reads in"
                            + " <consumer_group>.<workflow id> unless its node names a consumer_group; without it, in"
                            + " a group named after the workflow id").withExample("caravan"),
                    Tls.CA_FILE)),
            List.of(MAX_LENGTH), List.of(RECLAIM_AFTER, BindingSupport.CONSUMER_GROUP, KEY_FIELD, BindingSupport.THREADS),
            Set.of(), new Capabilities(null, "{source}.dlq", Capabilities.Ordering.STREAM, true, null, false, false,
                    List.of(Capabilities.RunOrder.KEY, Capabilities.RunOrder.PARTITION, Capabilities.RunOrder.NONE)));

    private final RedisProvisioner provisioner = new RedisProvisioner();

    @Override
    public BrokerSpec spec() {
        return SPEC;
    }

    @Override
    public Provisioner provisioner() {
        return provisioner;
    }

    /** caravan-redis is added here too: a context made before the component was first looked up finds it by scheme. */
    @Override
    public void register(CamelContext context) {
        if (context.hasComponent(RedisComponent.SCHEME) == null) {
            context.addComponent(RedisComponent.SCHEME, new RedisComponent());
        }
    }

    private static String base(Channel channel) {
        return RedisComponent.SCHEME + ":" + q(channel.address()) + "?clients=#" + Bindings.beanName(channel.credentialId());
    }

    /**
     * The workflow's consumer group ({@link RedisClients#group}), blocking reads of up to
     * wait_time (at most 5 s, so a stop is quick), max_messages per read and reclaim_after; runs on
     * {@code threads} workers in the node's {@code ordering} (key by default, by its key_field).
     * Redis has no native dead letter; a failed run's entry stays pending until it is claimed again,
     * or, where it holds back later entries of its key, runs again in place.
     */
    @Override
    public String consumerUri(Channel channel, boolean nativeDeadLetter) {
        StringBuilder uri = new StringBuilder(base(channel)).append(BindingSupport.groupOptions(channel));
        Duration wait = BindingSupport.waitTime(channel);
        uri.append("&blockMillis=").append(Math.max(100, Math.min(5000, wait.toMillis())));
        if (BindingSupport.setsMaxMessages(channel)) {
            uri.append("&readCount=").append(BindingSupport.maxMessages(channel));
        }
        uri.append("&reclaimAfterMillis=").append(reclaimAfter(channel).toMillis());
        BindingSupport.field(channel, KEY_FIELD).ifPresent(field -> uri.append("&keyField=").append(q(field)));
        return uri.append(BindingSupport.orderingOptions(channel)).toString();
    }

    @Override
    public String producerUri(Channel channel) {
        String uri = base(channel);
        if (channel.config() != null && channel.config().has(MAX_LENGTH)) {
            uri += "&maxLength=" + channel.config().number(MAX_LENGTH);
        }
        return uri;
    }

    static Duration reclaimAfter(Channel channel) {
        return channel.config() != null && channel.config().has(RECLAIM_AFTER) ? channel.config().duration(RECLAIM_AFTER)
                : (Duration) RECLAIM_AFTER.defaultValue();
    }
}
