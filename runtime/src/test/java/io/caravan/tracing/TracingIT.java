package io.caravan.tracing;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One message across the four brokers is one trace: a webhook call with a W3C traceparent starts
 * a run that sends to Kafka; the run that reads it sends to SQS, the next to RabbitMQ, the next
 * to Redis, and the last calls an HTTP service. Each run's span is the child of the span of the
 * node that sent its message, each node's span the child of its run's, and the HTTP service gets
 * the traceparent of the node that called it. Spans go to OpenTelemetry's in-memory exporter.
 */
class TracingIT {

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static HttpServer service;
    static int port;
    static final List<String> traceparents = new CopyOnWriteArrayList<>();
    static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
    static final String ID = TestBrokers.unique("trace");
    /** What the log node of t4 logged, with the MDC of each line. */
    static final List<Map<String, String>> logged = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.requireRabbitMq();
        TestBrokers.requireRedis();
        service = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        service.createContext("/", exchange -> {
            traceparents.add(String.valueOf(exchange.getRequestHeaders().getFirst("traceparent")));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        service.start();
        TestBrokers.kafka().createTopic(ID + "-k", 1);
        TestBrokers.sqs().createQueue(ID + "-s");
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("chain.yaml"), """
                id: t1
                nodes:
                  - {id: hook, type: webhook}
                  - {id: out, type: send_message, config: {queue_type: kafka, destination: %1$s-k, message: "{{input}}", credential_id: kafka}}
                edges: [{from: hook, to: out}]
                """.formatted(ID));
        Files.writeString(workflows.resolve("t2.yaml"), """
                id: t2
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: %1$s-k, credential_id: kafka}}
                  - {id: out, type: send_message, config: {queue_type: sqs, destination: %1$s-s, message: "{{input}}", credential_id: sqs}}
                edges: [{from: in, to: out}]
                """.formatted(ID));
        Files.writeString(workflows.resolve("t3.yaml"), """
                id: t3
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: %1$s-s, credential_id: sqs, wait_time: 1s}}
                  - {id: out, type: send_message, config: {queue_type: rabbitmq, destination: %1$s-r, message: "{{input}}", credential_id: rabbit}}
                edges: [{from: in, to: out}]
                """.formatted(ID));
        Files.writeString(workflows.resolve("t4.yaml"), """
                id: t4
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, source: %1$s-r, credential_id: rabbit}}
                  - {id: note, type: log, config: {message: "relaying {{input.order}}"}}
                  - {id: out, type: send_message, config: {queue_type: redis, destination: %1$s-x, message: "{{input}}", credential_id: redis}}
                edges: [{from: in, to: note}, {from: note, to: out}]
                """.formatted(ID));
        Files.writeString(workflows.resolve("t5.yaml"), """
                id: t5
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: redis, source: %1$s-x, credential_id: redis}}
                  - {id: call, type: http, config: {method: POST, url: "http://127.0.0.1:%2$d/orders", body: "{{input}}"}}
                edges: [{from: in, to: call}]
                """.formatted(ID, service.getAddress().getPort()));
        Path credentials = TestBrokers.writeCredentials(home.resolve("credentials.yaml"), ID);
        var appender = new org.apache.logging.log4j.core.appender.AbstractAppender("trace-it", null, null, true,
                org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent event) {
                logged.add(Map.copyOf(event.getContextData().toMap()));
            }
        };
        appender.start();
        var logger = (org.apache.logging.log4j.core.Logger) org.apache.logging.log4j.LogManager.getLogger("caravan.workflow.t4");
        logger.addAppender(appender);
        port = Ports.free();
        runtime = CaravanRuntime.create(RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(port), "caravan.management.port", String.valueOf(Ports.free()),
                "caravan.tracing.enabled", "true"))).traceTo(SPANS).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (runtime != null) {
            runtime.close();
        }
        if (service != null) {
            service.stop(0);
        }
    }

    private static SpanData span(String name) {
        return find(name).orElseThrow(() -> new AssertionError("no span " + name + " in "
                + SPANS.getFinishedSpanItems().stream().map(SpanData::getName).toList()));
    }

    private static Optional<SpanData> find(String name) {
        return SPANS.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).findFirst();
    }

    @Test
    void aMessageAcrossFourBrokersAndAnHttpCallIsOneTrace() throws Exception {
        String traceId = HexFormat.of().formatHex(randomBytes(16));
        String callerSpan = HexFormat.of().formatHex(randomBytes(8));
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/webhooks/t1"))
                .header("Content-Type", "application/json").header("traceparent", "00-" + traceId + "-" + callerSpan + "-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"order\": \"o-1\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);

        Await.until("the last run called the service and ended", Duration.ofSeconds(90),
                () -> !traceparents.isEmpty() && find("t5").isPresent());

        List<SpanData> all = SPANS.getFinishedSpanItems();
        assertThat(all).extracting(SpanData::getTraceId).as("one trace").containsOnly(traceId);
        assertThat(span("t1").getParentSpanId()).as("the webhook run continues the caller's span").isEqualTo(callerSpan);
        String[][] hops = {{"t1", "t2"}, {"t2", "t3"}, {"t3", "t4"}, {"t4", "t5"}};
        for (String[] hop : hops) {
            SpanData send = span(hop[0] + ".out");
            assertThat(send.getParentSpanId()).as(hop[0] + ".out under its run").isEqualTo(span(hop[0]).getSpanId());
            assertThat(span(hop[1]).getParentSpanId()).as(hop[1] + "'s run under " + hop[0] + "'s send").isEqualTo(send.getSpanId());
        }
        assertThat(span("t4.note").getParentSpanId()).isEqualTo(span("t4").getSpanId());
        SpanData call = span("t5.call");
        assertThat(call.getParentSpanId()).isEqualTo(span("t5").getSpanId());
        assertThat(traceparents.get(0)).as("the HTTP service is called with the call node's span")
                .isEqualTo("00-" + traceId + "-" + call.getSpanId() + "-01");
        assertThat(span("t3").getAttributes().asMap().toString()).contains("caravan.workflow=t3", "caravan.execution_id=");
        // the log node's line carries the trace and the run (RunTrace's MDC keys)
        String t4Execution = span("t4").getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("caravan.execution_id"));
        assertThat(logged).contains(Map.of(RunTrace.MDC_TRACE, traceId, RunTrace.MDC_EXECUTION, t4Execution));
        System.out.println("TRACING one trace " + traceId + ": " + all.size() + " spans across webhook, Kafka, SQS, RabbitMQ,"
                + " Redis and HTTP");
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] |= 1; // never all zeros (an invalid id)
        return b;
    }
}
