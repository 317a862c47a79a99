package io.caravan.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * One broker under test: how to create and remove its queues or topics, load a source, read a
 * destination as the final consumer, count what is left in a source, and build each pipe.
 * Kafka consumer groups are named after their source ({@link #group}), so what a pipe left
 * uncommitted can be counted after it stopped.
 */
abstract class Broker implements AutoCloseable {

    final List<String> notes = new ArrayList<>();

    /** kafka, rabbitmq, sqs or redis: the key in results.json. */
    abstract String name();

    /** The pipe's source count to drain, full size. */
    abstract int drainCount();

    /** Messages per second of the fixed-rate phase. */
    abstract int fixedRate();

    abstract void create(String src, String dst, int partitions) throws Exception;

    abstract void delete(String src, String dst);

    abstract Loader loader(String src) throws Exception;

    /** Starts a final consumer on {@code dst} recording into {@code recorder}. */
    abstract AutoCloseable sink(String dst, Recorder recorder) throws Exception;

    /** Messages still in {@code src} (not acknowledged) once its pipe has stopped. */
    abstract long remaining(String src) throws Exception;

    abstract Pipe pipe(Variant variant, String src, String dst);

    /** The pipes this broker has: all four, unless Camel has no component for it. */
    List<Variant> variants() {
        return List.of(Variant.RAW, Variant.CAMEL, Variant.CAMEL_TUNED, Variant.CARAVAN);
    }

    /** Caravan's queue_type for this broker. */
    abstract String queueType();

    /** A credentials.yaml entry for Caravan, named {@code id}, whose Kafka group is {@code group}. */
    abstract String credential(String id, String group);

    static String group(String src) {
        return src + "-group";
    }

    @Override
    public void close() {
    }
}
