package io.caravan.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/caravan-bench --quick, every section, in this JVM: the results have the documented
 * shape and no pipe lost a message. No timing is asserted: the benchmark reports, it does not
 * pass or fail on speed.
 */
class BenchSmokeIT {

    private static final List<String> PIPE_FIELDS = List.of("messages", "msgs_per_s", "p50_ms", "p99_ms", "max_ms",
            "lost", "duplicated", "cpu_s", "peak_heap_mb");

    @TempDir
    Path out;

    @Test
    void quickRunWritesResultsAndLosesNothing() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(new TeeStream(System.out, console), true, StandardCharsets.UTF_8);
        int code = CaravanBench.run(new String[] {"--quick", "--out", out.toString()}, tee);
        String printed = console.toString(StandardCharsets.UTF_8);
        assertThat(code).as("every section ran; console:\n%s", printed).isZero();

        JsonNode r = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertThat(r.fieldNames()).toIterable().containsExactly("date", "machine", "brokers", "startup_ms",
                "compile_1000_ms", "heap_1000_workflows_mb", "kafka_scaling", "scale_out", "kafka_ordering");
        assertThat(r.get("date").asText()).isNotBlank();
        assertThat(r.get("machine").asText()).contains("cores");
        assertThat(r.get("brokers").fieldNames()).toIterable().containsExactly("kafka", "rabbitmq", "sqs", "redis");
        for (String broker : List.of("kafka", "rabbitmq", "sqs", "redis")) {
            JsonNode pipes = r.get("brokers").get(broker);
            // Camel has no Redis Streams component: raw and caravan only; Kafka also runs caravan traced
            List<String> expected = broker.equals("redis") ? List.of("raw", "caravan")
                    : broker.equals("kafka") ? List.of("raw", "camel", "camel_tuned", "caravan", "caravan_traced")
                    : List.of("raw", "camel", "camel_tuned", "caravan");
            assertThat(pipes.fieldNames()).toIterable().containsExactlyElementsOf(expected);
            for (String pipe : expected) {
                JsonNode p = pipes.get(pipe);
                String where = broker + "/" + pipe;
                assertThat(p.fieldNames()).toIterable().as(where).containsExactlyElementsOf(PIPE_FIELDS);
                assertThat(p.get("lost").asLong()).as(where + " lost").isZero();
                assertThat(p.get("messages").asLong()).as(where + " messages drained").isPositive();
                assertThat(p.get("msgs_per_s").isNumber()).as(where).isTrue();
                assertThat(p.get("duplicated").isIntegralNumber()).as(where).isTrue();
                assertThat(p.get("cpu_s").isNumber()).as(where).isTrue();
                assertThat(p.get("peak_heap_mb").isNumber()).as(where).isTrue();
                for (String latency : List.of("p50_ms", "p99_ms", "max_ms")) {
                    // null: the pipe did not keep up with the fixed rate
                    assertThat(p.get(latency).isNumber() || p.get(latency).isNull()).as(where + " " + latency).isTrue();
                }
            }
        }
        assertThat(r.get("startup_ms").asLong()).isPositive();
        assertThat(r.get("compile_1000_ms").isIntegralNumber()).isTrue();
        assertThat(r.get("heap_1000_workflows_mb").isNumber()).isTrue();
        assertThat(r.get("kafka_scaling").fieldNames()).toIterable().containsExactly("1", "2", "4");
        JsonNode scaleOut = r.get("scale_out");
        assertThat(scaleOut.fieldNames()).toIterable().containsExactly("1", "2", "3");
        scaleOut.fields().forEachRemaining(e -> {
            assertThat(e.getValue().get("msgs_per_s").asDouble()).as(e.getKey() + " instances").isPositive();
            assertThat(e.getValue().get("instances_cpu_s_per_10k").asDouble()).as(e.getKey() + " instances' CPU").isPositive();
        });
        JsonNode ordering = r.get("kafka_ordering");
        assertThat(ordering.fieldNames()).toIterable().containsExactly("key", "partition", "none", "key + lookup",
                "partition + lookup", "none + lookup");
        ordering.fields().forEachRemaining(e -> {
            assertThat(e.getValue().get("lost").asLong()).as(e.getKey() + " lost").isZero();
            assertThat(e.getValue().get("drained").asLong()).as(e.getKey() + " drained").isPositive();
        });

        String md = Files.readString(out.resolve("results.md"));
        assertThat(md).contains("caravan / raw", "caravan / camel_tuned", "### kafka", "### rabbitmq", "### sqs",
                "### Kafka trigger ordering", "### Scale-out");
        assertThat(printed).contains("caravan / raw", "draining");
    }

    /** Writes to two streams: the test's output file and a buffer to show on failure. */
    private static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
