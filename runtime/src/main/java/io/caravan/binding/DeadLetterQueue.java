package io.caravan.binding;

import java.util.List;
import java.util.function.Predicate;

/**
 * The messages of one dead-letter destination, for the console's browser and {@code caravan dlq}.
 * A broker's provisioner opens one ({@link Provisioner#deadLetters}); closing it gives back every
 * message taken and not removed.
 *
 * <p>Reading leaves the messages where they are: Kafka and Redis read without taking; SQS and
 * RabbitMQ receive and release at once. A redrive {@link #take}s messages, sends each where it
 * goes and, once that broker confirmed it, {@link Taken#remove}s it here: a failure halfway
 * leaves the message a dead letter, never lost.
 */
public interface DeadLetterQueue extends AutoCloseable {

    /**
     * Metadata key: the body's bytes as the broker holds them (Kafka, RabbitMQ), which a redrive
     * sends unchanged even when they are not UTF-8 text.
     */
    String RAW = "raw";

    /** How many wait here, or -1 when the broker does not say. */
    long count() throws Exception;

    /** Up to {@code max} messages, oldest first, left in place. */
    List<ReceivedMessage> browse(int max) throws Exception;

    /**
     * Takes up to {@code max} messages that {@code wanted} accepts, oldest first, held until
     * removed or until this is closed. Kafka removes a record by moving its partition's mark past
     * it, so it takes a wanted record only when every record before it since the mark is wanted too.
     */
    List<Taken> take(int max, Predicate<ReceivedMessage> wanted) throws Exception;

    /** Why a message asked for by its id may not have been taken, for the redrive's answer. */
    default String notTakenBecause() {
        return "no longer there, or beyond the first 1000";
    }

    /** A message held for a redrive. */
    interface Taken {
        ReceivedMessage message();

        /** Removes it for good: call once its copy is confirmed where it went. */
        void remove() throws Exception;

        /** What removes a message from its broker. */
        @FunctionalInterface
        interface Remover {
            void remove() throws Exception;
        }

        static Taken of(ReceivedMessage message, Remover remover) {
            return new Taken() {
                @Override
                public ReceivedMessage message() {
                    return message;
                }

                @Override
                public void remove() throws Exception {
                    remover.remove();
                }
            };
        }
    }

    @Override
    void close() throws Exception;
}
