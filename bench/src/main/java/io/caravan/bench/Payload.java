package io.caravan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The benchmark's messages: a 1 KiB JSON document with a sequence {@code id} and a production
 * timestamp {@code ts}, and the pipes' work on it (parse, keep id and ts, write a new document).
 * Timestamps are epoch microseconds from one clock shared by producer and final consumer (same
 * process), so latency needs no clock synchronisation.
 */
final class Payload {

    static final int SIZE = 1024;
    static final ObjectMapper JSON = new ObjectMapper();

    private static final long BASE_MICROS = System.currentTimeMillis() * 1000;
    private static final long BASE_NANOS = System.nanoTime();
    private static final String PAD = "x".repeat(SIZE);

    private Payload() {
    }

    /** Microseconds since the epoch, monotonic within this process. */
    static long nowMicros() {
        return BASE_MICROS + (System.nanoTime() - BASE_NANOS) / 1000;
    }

    /** A 1 KiB message (exactly {@link #SIZE} bytes of ASCII) stamped now. */
    static String message(long id) {
        StringBuilder sb = new StringBuilder(SIZE);
        sb.append("{\"id\":").append(id).append(",\"ts\":").append(nowMicros())
                .append(",\"customer\":\"c-").append(id % 9973).append("\",\"type\":\"order.created\",\"pad\":\"");
        int padding = SIZE - sb.length() - 2;
        sb.append(PAD, 0, Math.max(0, padding)).append("\"}");
        return sb.toString();
    }

    /** What every pipe does to a message: parse it, build {"id", "ts"} from it, write it. */
    static String transform(String in) {
        try {
            JsonNode node = JSON.readTree(in);
            ObjectNode out = JSON.createObjectNode();
            out.set("id", node.get("id"));
            out.set("ts", node.get("ts"));
            return JSON.writeValueAsString(out);
        } catch (IOException e) {
            throw new UncheckedIOException("not a benchmark message: " + e.getMessage(), e);
        }
    }

    static String transform(byte[] in) {
        return transform(new String(in, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Reads a pipe's output at the final consumer: [id, ts]. */
    static long[] read(String out) {
        try {
            JsonNode node = JSON.readTree(out);
            return new long[] {node.get("id").asLong(), node.get("ts").asLong()};
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable pipe output: " + out, e);
        }
    }
}
