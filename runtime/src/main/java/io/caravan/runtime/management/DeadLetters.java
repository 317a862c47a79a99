package io.caravan.runtime.management;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.binding.DeadLetterQueue;
import io.caravan.binding.Messages;
import io.caravan.binding.ReceivedMessage;
import io.caravan.compile.CompiledWorkflow;
import io.caravan.runtime.WorkflowDeployer;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead-letter destinations of the running workflows (each workflow's and node's
 * {@code dead_letter}, a broker's default one included; a broker's native dead-letter queue is
 * the broker's to show), read through each broker's {@link DeadLetterQueue}, and the redrive:
 * each message taken from the dead letters is sent to its target through the target broker's
 * own producer, and removed from the dead letters only once that broker confirmed the copy. A
 * send that fails stops the redrive and leaves that message (and the rest) where they were. A
 * redrive takes only what waited when it began (at most that many, none stamped later), so a
 * message that fails again and comes back is not redriven round and round.
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    /** A dead-letter destination and the workflows that dead-letter there. */
    public record Destination(String queueType, String destination, String credentialId, List<String> workflows) {
        public boolean is(String queueType, String destination, String credentialId) {
            return this.queueType.equals(queueType) && this.destination.equals(destination)
                    && this.credentialId.equals(credentialId);
        }
    }

    /** Where a redrive sends: a queue, topic or stream on a broker, with a credential. */
    public record Target(@com.fasterxml.jackson.annotation.JsonProperty("queue_type") String queueType, String address,
                         @com.fasterxml.jackson.annotation.JsonProperty("credential_id") String credentialId, String workflow) {
    }

    /** What a redrive did: moved, the ids it moved, and why it stopped early (or null). */
    public record Result(int moved, List<String> ids, String stopped) {
    }

    private final CamelContext context;
    private final WorkflowDeployer deployer;
    // one redrive at a time per destination in this process
    private final Map<String, Object> locks = new ConcurrentHashMap<>();

    public DeadLetters(CamelContext context, WorkflowDeployer deployer) {
        this.context = context;
        this.deployer = deployer;
    }

    public List<Destination> destinations() {
        Map<String, Destination> out = new LinkedHashMap<>();
        for (CompiledWorkflow cw : deployer.runningAndWaiting()) {
            Workflow w = cw.workflow();
            List<ErrorHandling.DeadLetter> letters = new ArrayList<>();
            letters.add(w.errorHandling().deadLetter());
            w.nodes().forEach(n -> letters.add(w.errorHandling(n).deadLetter()));
            for (ErrorHandling.DeadLetter dl : letters) {
                if (dl != null && dl.nativeDlq()) {
                    nativeDestination(w).ifPresent(d -> out.merge(d.queueType() + "\u0000" + d.destination() + "\u0000"
                            + d.credentialId(), d, (a, b) -> {
                                b.workflows().stream().filter(x -> !a.workflows().contains(x)).forEach(a.workflows()::add);
                                return a;
                            }));
                    continue;
                }
                if (dl == null || dl.destination() == null) {
                    continue;
                }
                String key = dl.queueType() + "\u0000" + dl.destination() + "\u0000" + dl.credentialId();
                Destination d = out.computeIfAbsent(key, k -> new Destination(dl.queueType(), dl.destination(), dl.credentialId(),
                        new ArrayList<>()));
                if (!d.workflows().contains(w.id())) {
                    d.workflows().add(w.id());
                }
            }
        }
        return List.copyOf(out.values());
    }

    /**
     * Where the trigger's broker itself dead-letters (a native dead letter), when the broker says
     * ({@link io.caravan.binding.Provisioner#nativeDeadLetter}); otherwise it is not shown.
     */
    private Optional<Destination> nativeDestination(Workflow w) {
        Optional<Target> source = source(w);
        if (source.isEmpty()) {
            return Optional.empty();
        }
        try {
            return binding(source.get().queueType()).provisioner().nativeDeadLetter(context, new Channel(w.id(), w.trigger().id(),
                            source.get().credentialId(), source.get().address(), w.trigger().config()))
                    .map(q -> new Destination(source.get().queueType(), q, source.get().credentialId(), new ArrayList<>(List.of(w.id()))));
        } catch (Exception e) {
            LOG.debug("cannot ask {} for the native dead letter of workflow '{}': {}", source.get().queueType(), w.id(), e.toString());
            return Optional.empty();
        }
    }

    public Optional<Destination> destination(String queueType, String destination, String credentialId) {
        return destinations().stream().filter(d -> d.is(queueType, destination, credentialId)).findFirst();
    }

    /** The sources of the workflows that dead-letter to {@code d} first (the usual target), then every other queue source. */
    public List<Target> targets(Destination d) {
        Set<Target> out = new LinkedHashSet<>();
        List<CompiledWorkflow> all = deployer.runningAndWaiting();
        for (boolean own : new boolean[] {true, false}) {
            for (CompiledWorkflow cw : all) {
                if (d.workflows().contains(cw.workflow().id()) == own) {
                    source(cw.workflow()).ifPresent(out::add);
                }
            }
        }
        return List.copyOf(out);
    }

    /** A workflow's queue source: its receive_message trigger's queue, topic or stream. */
    static Optional<Target> source(Workflow w) {
        WorkflowNode t = w.trigger();
        if (t.type() != NodeType.RECEIVE_MESSAGE) {
            return Optional.empty();
        }
        // the validator has filled in the source of a node that names one of its broker's stand-ins
        String source = t.address();
        return source == null ? Optional.empty() : Optional.of(new Target(t.queueType(), source, t.credentialId(), w.id()));
    }

    private DeadLetterQueue open(Destination d) throws Exception {
        Binding b = binding(d.queueType());
        return b.provisioner().deadLetters(context, new Channel(d.workflows().get(0), "dead-letters", d.credentialId(),
                d.destination(), null));
    }

    private static Binding binding(String queueType) {
        return Bindings.forQueueType(queueType).orElseThrow(() -> new IllegalArgumentException("no broker " + queueType));
    }

    public long count(Destination d) throws Exception {
        try (DeadLetterQueue q = open(d)) {
            return q.count();
        }
    }

    /** How many wait and the first {@code max} of them, read through one opening of the destination. */
    public record Page(long count, List<ReceivedMessage> messages) {
    }

    public Page browse(Destination d, int max) throws Exception {
        try (DeadLetterQueue q = open(d)) {
            return new Page(q.count(), q.browse(max));
        }
    }

    /**
     * Moves the dead letters with {@code ids} (all of them, up to {@code max}, when {@code ids}
     * is null) to {@code target}. The message goes with its body, its attributes but the
     * {@code caravan-*} ones the failure added, its key where the broker has keys, and its bytes
     * where the broker kept them ({@link DeadLetterQueue#RAW}).
     */
    public Result redrive(Destination d, Set<String> ids, Target target, int max) throws Exception {
        Binding to = binding(target.queueType());
        String uri = to.producerUri(new Channel(target.workflow() == null ? d.workflows().get(0) : target.workflow(),
                "redrive", target.credentialId(), target.address(), null));
        List<String> moved = new ArrayList<>();
        String stopped = null;
        String notTaken = null;
        synchronized (locks.computeIfAbsent(d.queueType() + ":" + d.destination() + ":" + d.credentialId(), k -> new Object())) {
            ProducerTemplate producer = context.createProducerTemplate();
            try (DeadLetterQueue q = open(d)) {
                notTaken = q.notTakenBecause();
                // only what waited when the redrive began: a message redriven to a workflow that fails it
                // again comes back as a new dead letter, and must not be taken again (a loop until max)
                java.time.Instant began = java.time.Instant.now();
                long waiting = q.count();
                int limit = ids == null && waiting >= 0 ? (int) Math.min(max, waiting) : max;
                while (moved.size() < limit && stopped == null) {
                    List<DeadLetterQueue.Taken> taken = q.take(Math.min(100, limit - moved.size()),
                            m -> (ids == null || ids.contains(m.id())) && !moved.contains(m.id()) && before(m, began));
                    if (taken.isEmpty()) {
                        break;
                    }
                    for (DeadLetterQueue.Taken t : taken) {
                        Exchange sent = producer.send(uri, copy(t.message()));
                        if (sent.getException() != null || sent.getMessage().getHeader(Messages.MESSAGE_ID) == null) {
                            Exception e = sent.getException();
                            stopped = "sending " + t.message().id() + " to " + target.queueType() + " " + target.address()
                                    + " failed: " + (e == null ? "the broker did not confirm it" : e.getMessage())
                                    + "; it and the rest stay dead letters";
                            break;
                        }
                        t.remove();
                        moved.add(t.message().id());
                    }
                }
            } finally {
                producer.close();
            }
        }
        if (ids != null && stopped == null) {
            List<String> missing = ids.stream().filter(i -> !moved.contains(i)).toList();
            if (!missing.isEmpty()) {
                stopped = "not moved: " + String.join(", ", missing) + " (" + notTaken + ")";
            }
        }
        LOG.info("redrive from {} {}: {} message(s) to {} {}{}", d.queueType(), d.destination(), moved.size(),
                target.queueType(), target.address(), stopped == null ? "" : "; " + stopped);
        return new Result(moved.size(), moved, stopped);
    }

    /** Whether the broker's timestamp of the message (when it has one) is not after {@code began}. */
    private static boolean before(ReceivedMessage m, java.time.Instant began) {
        if (m.timestamp() == null) {
            return true;
        }
        try {
            return !java.time.Instant.parse(m.timestamp()).isAfter(began);
        } catch (java.time.format.DateTimeParseException e) {
            return true;
        }
    }

    private Exchange copy(ReceivedMessage m) {
        Exchange e = new DefaultExchange(context);
        Object raw = m.metadata() == null ? null : m.metadata().get(DeadLetterQueue.RAW);
        e.getIn().setBody(raw instanceof byte[] bytes ? bytes : m.body());
        m.attributes().forEach((k, v) -> {
            if (!k.startsWith("caravan-")) {
                e.getIn().setHeader(k, v);
            }
        });
        Object key = m.metadata() == null ? null : m.metadata().get("key");
        if (key != null) {
            e.getIn().setHeader(Messages.KEY, key.toString());
        }
        return e;
    }
}
