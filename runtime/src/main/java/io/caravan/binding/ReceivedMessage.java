package io.caravan.binding;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One consumed message in the seed's shape: {@code id}, {@code body}, {@code attributes},
 * {@code receipt} (SQS receipt handle, Kafka partition/offset, AMQP delivery tag) and
 * {@code timestamp} (ISO-8601 UTC).
 */
public record ReceivedMessage(String id, String body, Map<String, String> attributes, String receipt,
                              String timestamp, Map<String, Object> metadata) {

    /**
     * Metadata key: how many times the broker has delivered this message, this delivery included
     * (an Integer), where the broker counts deliveries across consumers and restarts.
     */
    public static final String DELIVERY_COUNT = "delivery_count";

    /** The broker's delivery count, or empty where it keeps none. */
    public java.util.OptionalInt deliveryCount() {
        return metadata != null && metadata.get(DELIVERY_COUNT) instanceof Integer n ? java.util.OptionalInt.of(n)
                : java.util.OptionalInt.empty();
    }

    /** Where an answer goes: the AMQP reply-to property, else a {@code reply_to} header, attribute or field. */
    public String replyTo() {
        return metadataOrAttribute("reply_to");
    }

    /** What an answer carries back to match its request: {@code correlation_id}, found like {@link #replyTo}. */
    public String correlationId() {
        return metadataOrAttribute("correlation_id");
    }

    private String metadataOrAttribute(String name) {
        Object value = metadata == null ? null : metadata.get(name);
        if (value == null && attributes != null) {
            value = attributes.get(name);
        }
        return value == null || String.valueOf(value).isBlank() ? null : String.valueOf(value);
    }

    public Map<String, Object> toOutput() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("body", body);
        out.put("attributes", attributes);
        out.put("receipt", receipt);
        out.put("timestamp", timestamp);
        return out;
    }
}
