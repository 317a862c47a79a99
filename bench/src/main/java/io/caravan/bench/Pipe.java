package io.caravan.bench;

/**
 * One way of moving messages from a source to a destination: consume, parse, build the
 * output, send, and only then acknowledge (at-least-once). {@link #start()} returns once it is
 * consuming or about to; {@link #close()} stops it, leaving unacknowledged messages in the source.
 */
interface Pipe extends AutoCloseable {

    void start() throws Exception;

    @Override
    void close() throws Exception;
}
