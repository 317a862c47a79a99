package io.caravan.runtime;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.catalog.CamelCatalog;
import org.apache.camel.catalog.DefaultCamelCatalog;
import org.apache.camel.tooling.model.ComponentModel;

/**
 * Says which Maven artifact holds a component Caravan does not ship, from Camel's own catalog
 * ({@code camel-catalog}), so that "No component found with scheme: foo" becomes something a
 * user can act on.
 */
public final class MissingComponents {

    // Camel's words for a scheme no component answers: DefaultComponentResolver and
    // AbstractCamelContext.getEndpoint (4.17)
    private static final Pattern NO_COMPONENT = Pattern.compile(
            "No component found with scheme: ([A-Za-z0-9+.-]+)|No endpoint could be found for: ([A-Za-z0-9+.-]+):"
                    // and the downloader's, when it could not fetch one (caravan.dependencies.auto)
                    + "|Cannot find component with name: ([A-Za-z0-9+-]+(?:\\.[A-Za-z0-9+-]+)*)");

    private static volatile CamelCatalog catalog;

    private MissingComponents() {
    }

    /** What to add for the scheme a Camel failure names, or empty when the message is about something else. */
    public static Optional<String> explain(String camelMessage) {
        Matcher m = NO_COMPONENT.matcher(camelMessage);
        if (!m.find()) {
            return Optional.empty();
        }
        String scheme = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        return Optional.of(advice(scheme));
    }

    /** "the component 'x' is not in Caravan: add org.apache.camel:camel-x ..." or that no Camel component has it. */
    public static String advice(String scheme) {
        return artifact(scheme).map(a -> "the Camel component '" + scheme + "' is not in Caravan: add " + a
                        + " (caravan run --dep " + a + ", the caravan.dependencies setting, or its jars in lib/)")
                .orElse("no Camel component has the scheme '" + scheme + "' (a typo, or a component from outside Camel:"
                        + " add its artifact with --dep GROUP:ARTIFACT:VERSION or its jars in lib/)");
    }

    /** GROUP:ARTIFACT of the component with this scheme, as the catalog knows it. */
    public static Optional<String> artifact(String scheme) {
        ComponentModel model = catalog().componentModel(scheme);
        return model == null ? Optional.empty() : Optional.of(model.getGroupId() + ":" + model.getArtifactId());
    }

    static CamelCatalog catalog() {
        CamelCatalog c = catalog;
        if (c == null) {
            // reading the catalog's index is a few tens of ms; it caches what it reads
            c = new DefaultCamelCatalog(true);
            // "did you mean" for an unknown option (camel-catalog-suggest, Levenshtein distance)
            c.setSuggestionStrategy(new org.apache.camel.catalog.suggest.CatalogSuggestionStrategy());
            catalog = c;
        }
        return c;
    }
}
