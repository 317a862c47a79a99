package io.caravan.binding;

import java.util.OptionalLong;

/**
 * How many messages wait at a queue, as its broker tells: {@code visible} are ready to be
 * delivered; {@code inFlight} were delivered and not yet acknowledged, when the broker says.
 */
public record QueueDepth(long visible, OptionalLong inFlight) {

    public static QueueDepth of(long visible) {
        return new QueueDepth(visible, OptionalLong.empty());
    }

    public static QueueDepth of(long visible, long inFlight) {
        return new QueueDepth(visible, OptionalLong.of(inFlight));
    }
}
