package io.caravan.binding;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Requests waiting for their answers, by correlation id: what each broker's reply reader
 * (RabbitMQ's direct reply-to consumer, a Kafka reply-topic consumer, an SQS reply-queue poller)
 * completes, and what {@link Provisioner#request} waits on.
 */
public final class Answers {

    /** Sends a request carrying the correlation id it is given. */
    @FunctionalInterface
    public interface Send {
        void send(String correlationId) throws Exception;
    }

    private final Map<String, CompletableFuture<Provisioner.Reply>> waiting = new ConcurrentHashMap<>();
    /** Requests that gave up waiting: an answer that comes for one later can be thrown away. */
    private final Set<String> gaveUp = ConcurrentHashMap.newKeySet();

    /** Sends a request with a fresh correlation id and waits up to {@code timeout} for its answer. */
    public Optional<Provisioner.Reply> ask(Send send, Duration timeout) throws Exception {
        String correlationId = UUID.randomUUID().toString();
        CompletableFuture<Provisioner.Reply> answer = new CompletableFuture<>();
        waiting.put(correlationId, answer);
        try {
            send.send(correlationId);
            return Optional.of(answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            if (gaveUp.size() > 10_000) {
                gaveUp.clear();
            }
            gaveUp.add(correlationId);
            return Optional.empty();
        } finally {
            waiting.remove(correlationId);
        }
    }

    /** An answer arrived; true when a request here was waiting for it. */
    public boolean answer(String correlationId, Provisioner.Reply reply) {
        CompletableFuture<Provisioner.Reply> request = correlationId == null ? null : waiting.remove(correlationId);
        if (request == null) {
            return false;
        }
        request.complete(reply);
        return true;
    }

    /** Whether this is the answer to a request here that timed out (nobody will ever want it). */
    public boolean late(String correlationId) {
        return correlationId != null && gaveUp.remove(correlationId);
    }
}
