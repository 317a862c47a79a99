package io.caravan.bench;

/** The four pipes run on every broker; {@link #key} is the name in results.json. */
enum Variant {
    RAW("raw", "raw client"),
    CAMEL("camel", "Camel, defaults"),
    CAMEL_TUNED("camel_tuned", "Camel, tuned"),
    CARAVAN("caravan", "Caravan workflow"),
    /** The Caravan pipe with caravan.tracing on, spans handed to an exporter that drops them (Kafka only). */
    CARAVAN_TRACED("caravan_traced", "Caravan workflow, traced");

    final String key;
    final String label;

    Variant(String key, String label) {
        this.key = key;
        this.label = label;
    }
}
