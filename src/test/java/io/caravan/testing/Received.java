package io.caravan.testing;

import io.caravan.binding.Binding;
import io.caravan.binding.ReceivedMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;

/** Collects what a binding's consumer endpoint receives, read through {@link Binding#received}. */
public final class Received {

    private final BlockingQueue<ReceivedMessage> messages = new LinkedBlockingQueue<>();

    /** Adds a route from {@code uri} that records every message as {@code binding.received} sees it. */
    public static Received from(CamelContext context, Binding binding, String uri) throws Exception {
        Received received = new Received();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId("test-consumer-" + System.nanoTime())
                        .process(e -> received.messages.add(binding.received(e)));
            }
        });
        return received;
    }

    /** Waits up to {@code timeout} for {@code count} messages; returns what arrived. */
    public List<ReceivedMessage> await(int count, Duration timeout) throws InterruptedException {
        List<ReceivedMessage> out = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (out.size() < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            ReceivedMessage m = messages.poll(left, TimeUnit.NANOSECONDS);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }
}
