package io.caravan.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Map;
import java.util.Properties;
import org.apache.camel.CamelContext;

/**
 * Traces of workflow runs with OpenTelemetry's SDK, on when {@code caravan.tracing.enabled=true}:
 * each run is a span, each node a span under it, exported over OTLP/HTTP to
 * {@code caravan.tracing.endpoint} (default http://127.0.0.1:4318/v1/traces, the collector's).
 * A run's span continues the W3C {@code traceparent}/{@code tracestate} that came with what
 * started it (a message's attribute, header or field, a webhook's HTTP header, a calling
 * workflow), and every message a node sends, every http call and every reply carries the
 * sending node's, so a message that goes webhook -> Kafka -> Caravan -> SQS -> Caravan is one trace.
 *
 * <p>The trace headers are the only inbound headers Caravan reads, and only to parent a span: they
 * steer nothing else. Why not camel-opentelemetry: its span decorators know Camel's own
 * components, not Caravan's broker components, it reads trace context from exchange headers that
 * Caravan's consumers never set (inbound headers are data here), and it makes a span per Camel
 * processor, several per node. (Camel 4.17's messaging extractor also drops a Kafka
 * {@code traceparent} that arrives as bytes, apache/camel#22545; Caravan's Kafka consumer decodes
 * header bytes as UTF-8 text, so it is read here.)
 */
public final class Tracing implements AutoCloseable {

    /** Registry name of the tracing a context's runs use; absent when tracing is off. */
    public static final String NAME = "caravan-tracing";
    public static final String ENABLED = "caravan.tracing.enabled";
    public static final String ENDPOINT = "caravan.tracing.endpoint";
    public static final String SERVICE = "caravan.tracing.service-name";
    static final AttributeKey<String> WORKFLOW = AttributeKey.stringKey("caravan.workflow");
    static final AttributeKey<String> NODE = AttributeKey.stringKey("caravan.node");
    static final AttributeKey<String> EXECUTION = AttributeKey.stringKey("caravan.execution_id");

    private static final TextMapPropagator PROPAGATOR = W3CTraceContextPropagator.getInstance();
    private static final TextMapGetter<Map<String, ?>> FROM_MAP = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, ?> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, ?> carrier, String key) {
            if (carrier == null) {
                return null;
            }
            Object v = carrier.get(key);
            if (v == null) {
                // HTTP header names and AMQP headers may come in another case
                for (Map.Entry<String, ?> e : carrier.entrySet()) {
                    if (e.getKey().equalsIgnoreCase(key)) {
                        v = e.getValue();
                        break;
                    }
                }
            }
            return v == null ? null : v instanceof byte[] bytes ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                    : v.toString();
        }
    };

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(SdkTracerProvider provider) {
        this.provider = provider;
        this.tracer = provider.get("io.caravan");
    }

    /**
     * The tracing {@code properties} ask for, or null when they leave it off. {@code exporter}
     * replaces the OTLP exporter (an in-memory one in tests, exported span by span).
     */
    public static Tracing create(Properties properties, SpanExporter exporter) {
        if (!Boolean.parseBoolean(properties.getProperty(ENABLED, "false"))) {
            return null;
        }
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), properties.getProperty(SERVICE, "caravan"))));
        SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
                .addSpanProcessor(exporter != null ? SimpleSpanProcessor.create(exporter)
                        : BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder()
                        .setEndpoint(properties.getProperty(ENDPOINT, "http://127.0.0.1:4318/v1/traces")).build()).build())
                .build();
        return new Tracing(provider);
    }

    /** The tracing of {@code context}'s runs, or null when tracing is off. */
    public static Tracing of(CamelContext context) {
        return context.getRegistry().lookupByNameAndType(NAME, Tracing.class);
    }

    /**
     * Starts the span of a run of {@code workflowId} whose trigger is {@code triggerNode}, under
     * the trace context {@code carrier} holds (a message's attributes, a webhook's headers), or a
     * new trace.
     */
    public RunTrace startRun(String workflowId, String triggerNode, String executionId, SpanKind kind, Map<String, ?> carrier) {
        Context parent = carrier == null ? Context.root() : PROPAGATOR.extract(Context.root(), carrier, FROM_MAP);
        var span = tracer.spanBuilder(workflowId).setParent(parent).setSpanKind(kind)
                .setAttribute(WORKFLOW, workflowId).setAttribute(NODE, triggerNode).setAttribute(EXECUTION, executionId)
                .startSpan();
        return new RunTrace(tracer, workflowId, executionId, span);
    }

    /**
     * Starts the run's trace when the exchange's context traces: call before {@code Runs.start}.
     * {@code carrier} holds what came with the trigger (attributes, headers), read for
     * {@code traceparent} and {@code tracestate} only.
     */
    public static void begin(org.apache.camel.Exchange exchange, io.caravan.template.RunContext run, String workflowId,
                             String triggerNode, SpanKind kind, Map<String, ?> carrier) {
        Tracing tracing = of(exchange.getContext());
        if (tracing != null) {
            run.trace(tracing.startRun(workflowId, triggerNode, run.executionId(), kind, carrier));
        }
    }

    /** The run's trace enters node {@code nodeId}, when the run is traced. */
    public static void enter(org.apache.camel.Exchange exchange, String nodeId) {
        Object run = exchange.getProperty(io.caravan.compile.Runs.RUN);
        if (run instanceof io.caravan.template.RunContext r && r.trace() != null) {
            r.trace().enter(nodeId);
        }
    }

    static void inject(Context context, java.util.function.BiConsumer<String, String> into) {
        PROPAGATOR.inject(context, into, (carrier, key, value) -> carrier.accept(key, value));
    }

    @Override
    public void close() {
        provider.close();
    }
}
