package io.caravan.cli;

import java.util.List;

/**
 * What {@code caravan dev} starts before the runtime and stops after it: in-process brokers. The
 * runtime jar holds none; the {@code caravan-dev} module provides one through
 * {@code META-INF/services/io.caravan.cli.DevEnvironment}, and {@code bin/caravan dev} puts it on
 * the class path.
 */
public interface DevEnvironment extends AutoCloseable {

    /** Starts what is not running yet; returns one line per broker, saying what runs and where. */
    List<String> start();

    /** Stops what {@link #start} started, newest first. */
    @Override
    void close();
}
