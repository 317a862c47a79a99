package io.caravan.runtime;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.binding.Channel;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.util.Optional;

/**
 * Why a workflow's route could not be created or started, in the seed's terms: each broker
 * node's binding is asked to recognise the cause (an endpoint fails when it is created, e.g.
 * camel-aws2-sqs looks its queue URL up then).
 */
final class WorkflowFailures {

    private WorkflowFailures() {
    }

    /** Each binding looks through the whole chain: Camel's wrapper, the client's exception and its cause. */
    static CaravanException classify(Workflow workflow, Throwable failure) {
        Throwable cause = failure;
        for (WorkflowNode node : workflow.nodes()) {
            Optional<Binding> binding = Optional.ofNullable(node.queueType()).flatMap(Bindings::forQueueType);
            if (binding.isEmpty()) {
                continue;
            }
            CaravanException error = binding.get().provisioner().classify(cause, Channel.of(workflow.id(), node));
            if (waitable(error)) {
                return error.inNode(node.id());
            }
        }
        Throwable shown = failure.getCause() != null ? failure.getCause() : failure;
        return new CaravanException(ErrorCode.INTERNAL, String.valueOf(shown.getMessage()), null, failure);
    }

    /** Failures that end once the broker comes up or the queue is created: worth waiting for. */
    static boolean waitable(CaravanException error) {
        return error.code() == ErrorCode.CONNECTION_FAILED || error.code() == ErrorCode.QUEUE_NOT_FOUND;
    }
}
