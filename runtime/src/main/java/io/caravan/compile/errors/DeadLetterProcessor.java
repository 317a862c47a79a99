package io.caravan.compile.errors;

import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.Channel;
import io.caravan.binding.Messages;
import io.caravan.compile.RunEvents;
import io.caravan.compile.Runs;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a failed run's original message, unchanged, into the dead-letter destination of the
 * node that failed, with the failure described in {@code caravan-*} attributes. It sends a new
 * exchange that carries only that, so nothing of the failed run leaks into the dead letter.
 * The send is synchronous: the run counts as handled (and the source message is acknowledged)
 * only once the broker has confirmed the dead letter; if the send fails, the failure stands
 * and the source message stays.
 */
public final class DeadLetterProcessor implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger("io.caravan.run");

    /**
     * Where one node's failures go: a broker destination, or the source broker's own DLQ.
     * {@code byDefault}: the trigger broker's default, which gives way to a source that
     * dead-letters by itself.
     */
    record Target(Binding binding, Channel channel, boolean nativeDlq, boolean byDefault) {
    }

    private final String workflowId;
    private final Map<String, Target> targets;
    private final Target workflowTarget;
    private final BiFunction<Throwable, String, CaravanException> classify;
    private final RunEvents events;
    private volatile ProducerTemplate producer;

    DeadLetterProcessor(String workflowId, Map<String, Target> targets, Target workflowTarget,
                        BiFunction<Throwable, String, CaravanException> classify, RunEvents events) {
        this.workflowId = workflowId;
        this.targets = Map.copyOf(targets);
        this.workflowTarget = workflowTarget;
        this.classify = classify;
        this.events = events;
    }

    private Target target(Exchange exchange) {
        String nodeId = Runs.failure(exchange).node();
        return nodeId != null && targets.containsKey(nodeId) ? targets.get(nodeId) : workflowTarget;
    }

    /**
     * Whether this failure goes to a dead-letter destination that Caravan sends to: not when the
     * dead letter is native, nor when it is the default one and the source's consumer says the
     * source dead-letters by itself (then the failure must reach the broker).
     */
    boolean sendsFor(Exchange exchange) {
        Target target = target(exchange);
        return target != null && !target.nativeDlq() && exchange.getProperty(Runs.ORIGINAL) != null && !Runs.inItem(exchange)
                && !(target.byDefault() && Messages.sourceDeadLetters(exchange));
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Target target = target(exchange);
        Runs.Original original = exchange.getProperty(Runs.ORIGINAL, Runs.Original.class);
        if (!sendsFor(exchange)) {
            // native, or a source with its own: the failure must reach the consumer so the broker's DLQ takes it
            return;
        }
        Runs.Failure failure = Runs.failure(exchange);
        CaravanException error = classify.apply(failure.cause(), failure.node());
        Map<String, String> attributes = new LinkedHashMap<>(original.attributes());
        attributes.put("caravan-error-code", error.code().name());
        attributes.put("caravan-error-message", String.valueOf(error.getMessage()));
        attributes.put("caravan-failed-node", String.valueOf(error.node()));
        attributes.put("caravan-workflow", workflowId);
        attributes.put("caravan-attempts", String.valueOf(attempts(exchange)));
        attributes.put("caravan-original-source", original.source());
        attributes.put("caravan-failed-at", Instant.now().toString());
        Exchange letter = new DefaultExchange(exchange.getContext(), ExchangePattern.InOnly);
        letter.getIn().setBody(original.deadLetterBody());
        attributes.forEach((name, value) -> {
            if (!BindingSupport.isControlName(name)) {
                letter.getIn().setHeader(name, value);
            }
        });
        if (original.key() != null) {
            letter.getIn().setHeader(Messages.KEY, original.key());
        }
        if (original.partition() != null) {
            // the producer uses it where the dead-letter destination has that partition
            letter.getIn().setHeader(Messages.PARTITION, original.partition());
        }
        Exchange sent = producer(exchange).send(target.binding().producerUri(target.channel()), letter);
        if (sent.getException() != null) {
            LOG.error("workflow '{}': dead letter to {} {} failed, the source message is kept: {}", workflowId,
                    target.binding().queueType(), target.channel().address(), sent.getException().getMessage());
            throw sent.getException();
        }
        exchange.setProperty(Runs.DEAD_LETTERED, Boolean.TRUE);
        events.deadLettered(workflowId, failure.node(), target.binding().queueType(), target.channel().address());
        LOG.warn("workflow '{}': message from {} dead-lettered to {} {} after {} attempt(s): {}", workflowId,
                original.source(), target.binding().queueType(), target.channel().address(), attempts(exchange),
                error.code());
    }

    private static int attempts(Exchange exchange) {
        return exchange.getProperty(Runs.REDELIVERIES, 0, Integer.class) + 1;
    }

    private ProducerTemplate producer(Exchange exchange) {
        ProducerTemplate p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    producer = exchange.getContext().createProducerTemplate();
                }
                p = producer;
            }
        }
        return p;
    }
}
