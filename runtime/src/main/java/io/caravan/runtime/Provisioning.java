package io.caravan.runtime;

import io.caravan.CaravanException;
import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.credential.CredentialStore;
import io.caravan.workflow.ErrorHandling;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * Makes every queue, topic and stream the workflows name exist, as an operator does before a
 * deploy: what {@code caravan dev} does before it starts, through each broker's
 * {@link io.caravan.binding.Provisioner#provision}. {@code caravan run} never does this.
 */
public final class Provisioning {

    private Provisioning() {
    }

    /**
     * Provisions every source, destination and dead-letter destination of {@code workflows}, each
     * once, with clients bound in a context of its own. Returns one line per address: what was
     * made sure of, or why not (a broker that does not answer: its workflows wait for it).
     */
    public static List<String> provision(List<Workflow> workflows, CredentialStore credentials) {
        Map<String, Channel> channels = new LinkedHashMap<>();
        Map<String, Binding> bindings = new LinkedHashMap<>();
        java.util.Set<String> consumed = new java.util.HashSet<>();
        for (Workflow w : workflows) {
            for (WorkflowNode node : w.nodes()) {
                if (node.usesBroker() && node.address() != null) {
                    String key = add(channels, bindings, node.queueType(), Channel.of(w.id(), node));
                    if (node.type() == io.caravan.workflow.NodeType.RECEIVE_MESSAGE) {
                        consumed.add(key);
                    }
                }
                ErrorHandling.DeadLetter dl = w.errorHandling(node).deadLetter();
                if (dl != null && !dl.nativeDlq()) {
                    add(channels, bindings, dl.queueType(),
                            new Channel(w.id(), node.id(), dl.credentialId(), dl.destination(), dl.config()));
                }
            }
        }
        List<String> report = new ArrayList<>();
        DefaultCamelContext scratch = new DefaultCamelContext();
        try {
            List<String> bound = new ArrayList<>();
            channels.forEach((key, channel) -> {
                if (!bound.contains(channel.credentialId())) {
                    bound.add(channel.credentialId());
                    bindings.get(key).provisioner().bind(scratch, credentials.find(channel.credentialId()).orElseThrow());
                }
            });
            scratch.start();
            channels.forEach((key, channel) -> {
                Binding binding = bindings.get(key);
                try {
                    binding.provisioner().provision(scratch, channel, consumed.contains(key));
                    report.add(binding.queueType() + " " + channel.address());
                } catch (Exception e) {
                    CaravanException error = binding.provisioner().classify(e, channel);
                    report.add(binding.queueType() + " " + channel.address() + ": " + error.code() + " "
                            + error.getMessage() + "; workflows using it wait for it");
                }
            });
        } finally {
            scratch.stop();
        }
        return report;
    }

    /** Adds the channel once per broker, credential, address and reading workflow; returns its key. */
    private static String add(Map<String, Channel> channels, Map<String, Binding> bindings, String queueType, Channel channel) {
        String key = queueType + " " + channel.credentialId() + " " + channel.address() + " " + channel.workflowId();
        if (!channels.containsKey(key)) {
            Bindings.forQueueType(queueType).ifPresent(b -> {
                channels.put(key, channel);
                bindings.put(key, b);
            });
        }
        return key;
    }
}
