package io.caravan.camel;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads of one loop's or one parallel's items or branches: at most {@code size} at once.
 * Idle threads end after 30 s, so a workflow that is redeployed leaves none behind. Named in a
 * compiled route as {@code executorService: "#class:io.caravan.camel.CaravanPool('<name>', <size>)"},
 * which makes one per EIP.
 */
public final class CaravanPool extends ThreadPoolExecutor {

    public CaravanPool(String name, int size) {
        super(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads(name));
        allowCoreThreadTimeOut(true);
    }

    /** The reference a compiled route gives as its {@code executorService}. */
    public static String reference(String name, int size) {
        return "#class:" + CaravanPool.class.getName() + "('" + name + "', " + size + ")";
    }

    private static java.util.concurrent.ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "caravan-" + name + "-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
