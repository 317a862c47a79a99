package io.caravan.binding;

/** A node config field a binding adds, e.g. Kafka's {@code key}. Template fields are rendered per message. */
public record BindingField(String name, boolean template, boolean required, String description) {
}
