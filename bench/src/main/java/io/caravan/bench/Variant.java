package io.caravan.bench;

/** The four pipes run on every broker; {@link #key} is the name in results.json. */
enum Variant {
    RAW("raw", "raw client"),
    CAMEL("camel", "Camel, defaults"),
    CAMEL_TUNED("camel_tuned", "Camel, tuned"),
    CARAVAN("caravan", "Caravan workflow");

    final String key;
    final String label;

    Variant(String key, String label) {
        this.key = key;
        this.label = label;
    }
}
