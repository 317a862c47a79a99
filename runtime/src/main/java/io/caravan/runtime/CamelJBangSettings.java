package io.caravan.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.camel.tooling.model.JBangModel;

/**
 * The {@code camel.jbang.*} keys of a Camel JBang project's {@code application.properties}:
 * those that mean something to Caravan are mapped onto its own settings, every other one is
 * named in a warning, so that no setting is silently ignored. Which keys exist, and what they
 * mean, comes from Camel's catalog ({@code camel-jbang-configuration-metadata.json}).
 */
final class CamelJBangSettings {

    private static final String PREFIX = "camel.jbang.";

    /** Camel JBang key to the Caravan setting it feeds; lists are appended to, not replaced. */
    private static final Map<String, String> MAPPED = Map.of(
            "camel.jbang.dependencies", "caravan.dependencies",
            "camel.jbang.dependencies.main", "caravan.dependencies",
            "camel.jbang.repos", "caravan.dependencies.repos",
            "camel.jbang.download", "caravan.dependencies.download",
            "camel.jbang.localKameletDir", "caravan.kamelets.dirs");

    /** Keys Caravan covers in its own way: why they have no effect. */
    private static final Map<String, String> COVERED = Map.of(
            "camel.jbang.health", "Caravan always serves /health and /ready on the management port (caravan.management.port)",
            "camel.jbang.metrics", "Caravan always serves /metrics on the management port (caravan.management.port)",
            "camel.jbang.ignoreLoadingError", "a route that cannot start is reported and the rest run, unless run --strict",
            "camel.jbang.verbose", "Caravan prints every dependency it adds");

    private CamelJBangSettings() {
    }

    /** Maps what it can from {@code given} into {@code into}; returns one warning per key it cannot use. */
    static List<String> apply(Properties given, Properties into) {
        List<String> warnings = new ArrayList<>();
        for (String key : given.stringPropertyNames().stream().sorted().toList()) {
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String value = given.getProperty(key);
            String target = MAPPED.get(key);
            if (target != null) {
                String before = into.getProperty(target, "");
                boolean list = !target.equals("caravan.dependencies.download");
                into.setProperty(target, list && !before.isBlank() ? before + "," + value : value);
            } else if (COVERED.containsKey(key)) {
                warnings.add(key + " has no effect in Caravan: " + COVERED.get(key));
            } else {
                warnings.add(description(key)
                        .map(d -> key + " is a Camel JBang setting Caravan does not support (" + d + "); ignored")
                        .orElse(key + " is not a Camel JBang setting (see `camel.jbang` in Camel's catalog); ignored"));
            }
        }
        return warnings;
    }

    private static Optional<String> description(String key) {
        JBangModel model = MissingComponents.catalog().jbangModel();
        if (model == null) {
            return Optional.empty();
        }
        return model.getOptions().stream().filter(o -> key.equals(o.getName())).findFirst()
                .map(o -> o.getDescription() == null ? "no description" : o.getDescription());
    }
}
