package io.caravan.binding.redis;

import io.caravan.Json;
import io.caravan.binding.BindingSupport;
import io.caravan.binding.ReceivedMessage;
import io.lettuce.core.StreamMessage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a stream entry is a message: the field {@code body} is the body and every other field an
 * attribute. An entry another program wrote without a {@code body} field is read as the JSON
 * object of all its fields, with no attributes.
 */
final class RedisEntries {

    static final String BODY = "body";
    /** The field that is an entry's key for {@code ordering: key} unless the node names another. */
    static final String KEY = "key";

    private RedisEntries() {
    }

    /**
     * The entry in the seed's shape: its id as id and receipt, the time in its id as timestamp,
     * and the stream and Redis's delivery count in the metadata.
     */
    static ReceivedMessage toReceived(String stream, StreamMessage<String, String> entry, long deliveryCount) {
        Map<String, String> fields = entry.getBody() == null ? Map.of() : entry.getBody();
        String body;
        Map<String, String> attributes = new LinkedHashMap<>();
        if (fields.containsKey(BODY)) {
            body = fields.get(BODY);
            fields.forEach((name, value) -> {
                if (!name.equals(BODY) && !BindingSupport.isControlName(name)) {
                    attributes.put(name, value);
                }
            });
        } else {
            body = Json.write(fields);
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("stream", stream);
        metadata.put(ReceivedMessage.DELIVERY_COUNT, (int) deliveryCount);
        return new ReceivedMessage(entry.getId(), body, attributes, entry.getId(), timestamp(entry.getId()), metadata);
    }

    /** The entry with its values read as UTF-8 text. */
    static StreamMessage<String, String> decoded(StreamMessage<String, byte[]> entry) {
        Map<String, String> fields = new LinkedHashMap<>();
        if (entry.getBody() != null) {
            entry.getBody().forEach((k, v) -> fields.put(k, v == null ? null : new String(v, java.nio.charset.StandardCharsets.UTF_8)));
        }
        return new StreamMessage<>(entry.getStream(), entry.getId(), fields);
    }

    /** The milliseconds part of an entry id ({@code <ms>-<seq>}) as ISO-8601, or null for another form. */
    static String timestamp(String id) {
        int dash = id.indexOf('-');
        try {
            return Instant.ofEpochMilli(Long.parseLong(dash < 0 ? id : id.substring(0, dash))).toString();
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
