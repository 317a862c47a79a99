package io.caravan.bench;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.source.InvalidFileException;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The pipe as a Caravan workflow, run by Caravan's own runtime in this process: a home
 * directory with one workflow (receive_message → send_message, no tuning options, as a
 * newcomer writes it) and a credentials file pointing at the benchmark's brokers.
 */
final class CaravanPipe implements Pipe {

    private final Broker broker;
    private final String src;
    private final String dst;
    private final int consumers;
    private CaravanRuntime runtime;
    private Path home;
    /** How many consumers the workflow really runs (1 when the consumers field is not supported). */
    private int effectiveConsumers = 1;
    private String fallback;
    /** The trigger's ordering, or null for the default. */
    private String ordering;
    /** A lookup every run makes (an http step), or null for none. */
    private String lookupUrl;

    /** The benchmark workflow's id (and so, on Redis, its consumer group). */
    static final String WORKFLOW_ID = "bench-pipe";

    CaravanPipe(Broker broker, String src, String dst, int consumers) {
        this.broker = broker;
        this.src = src;
        this.dst = dst;
        this.consumers = consumers;
    }

    /** Whether caravan.tracing is on, with an exporter that drops the spans: the cost of making them. */
    private boolean traced;

    /** The same pipe with caravan.tracing on: a span per run and per node, the send carrying traceparent. */
    CaravanPipe traced() {
        this.traced = true;
        return this;
    }

    /** The same pipe with the trigger's {@code ordering} set and, when {@code lookupUrl} is given, an http step. */
    CaravanPipe ordered(String ordering, String lookupUrl) {
        this.ordering = ordering;
        this.lookupUrl = lookupUrl;
        return this;
    }

    static String workflow(String id, String queueType, String src, String dst, String credentialId, int consumers) {
        return workflow(id, queueType, src, dst, credentialId, consumers, null, null);
    }

    static String workflow(String id, String queueType, String src, String dst, String credentialId, int consumers,
                           String ordering, String lookupUrl) {
        String yaml = """
                id: %s
                name: Benchmark pipe
                nodes:
                  - id: receive
                    type: receive_message
                    config:
                      queue_type: %s
                      source: %s
                      credential_id: %s%s
                  - id: send
                    type: send_message
                    config:
                      queue_type: %s
                      destination: %s
                      message: '{"id": {{input.id}}, "ts": {{input.ts}}}'
                      credential_id: %s
                edges:
                  - {from: receive, to: send}
                """.formatted(id, queueType, src, credentialId,
                (consumers > 1 ? "\n      consumers: " + consumers : "") + (ordering == null ? "" : "\n      ordering: " + ordering),
                queueType, dst, credentialId);
        if (lookupUrl == null) {
            return yaml;
        }
        return yaml.replace("""
                  - id: send
                """, """
                  - id: lookup
                    type: http
                    config: {method: GET, url: "%s?id={{input.id}}"}
                  - id: send
                """.formatted(lookupUrl)).replace("  - {from: receive, to: send}",
                "  - {from: receive, to: lookup}\n  - {from: lookup, to: send}");
    }

    @Override
    public void start() throws Exception {
        home = Files.createTempDirectory("caravan-bench-");
        Files.createDirectories(home.resolve("workflows"));
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), broker.credential("bench", Broker.group(src)));
        try {
            runtime = create(consumers);
            effectiveConsumers = consumers;
        } catch (InvalidFileException e) {
            if (consumers <= 1 || !String.valueOf(e.getMessage()).contains("consumers")
                    && e.diagnostics().stream().noneMatch(d -> d.message().contains("consumers"))) {
                throw e;
            }
            fallback = "this Caravan does not accept `consumers` on receive_message (\""
                    + e.diagnostics().get(0).message() + "\"), so it ran with one consumer";
            runtime = create(1);
            effectiveConsumers = 1;
        }
        runtime.start();
    }

    private CaravanRuntime create(int n) throws IOException {
        Files.writeString(home.resolve("workflows/bench-pipe.yaml"),
                workflow(WORKFLOW_ID, broker.queueType(), src, dst, "bench", n, ordering, lookupUrl));
        CaravanRuntime created = CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(freePort()),
                "caravan.management.port", String.valueOf(freePort()),
                "caravan.tracing.enabled", String.valueOf(traced))));
        // spans are made, parented and propagated, then dropped: no collector runs here
        return traced ? created.traceTo(new io.opentelemetry.sdk.trace.export.SpanExporter() {
            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode export(java.util.Collection<io.opentelemetry.sdk.trace.data.SpanData> spans) {
                return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }

            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode flush() {
                return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }

            @Override
            public io.opentelemetry.sdk.common.CompletableResultCode shutdown() {
                return io.opentelemetry.sdk.common.CompletableResultCode.ofSuccess();
            }
        }) : created;
    }

    int effectiveConsumers() {
        return effectiveConsumers;
    }

    /** Why the workflow ran with fewer consumers than asked, or null. */
    String fallback() {
        return fallback;
    }

    @Override
    public void close() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (home != null) {
            try (var files = Files.walk(home)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
