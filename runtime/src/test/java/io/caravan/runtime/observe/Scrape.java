package io.caravan.runtime.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads samples from a Prometheus text scrape, and GETs the management endpoints, for tests. */
public final class Scrape {

    // a scrape that does not answer within its request timeout fails the test (see HttpClients)
    private static final HttpClient CLIENT = io.caravan.testing.HttpClients.http11();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private final String text;

    private Scrape(String text) {
        this.text = text;
    }

    public static Scrape of(int managementPort) throws Exception {
        return new Scrape(get(managementPort, "/metrics").body());
    }

    public static HttpResponse<String> get(int port, String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(java.time.Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    String text() {
        return text;
    }

    /** The value of the one sample named {@code name} whose labels include {@code labels}; null if none. */
    public Double value(String name, Map<String, String> labels) {
        Double found = null;
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.find() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> have = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    have.put(l.group(1), l.group(2));
                }
            }
            if (have.entrySet().containsAll(labels.entrySet())) {
                if (found != null) {
                    throw new AssertionError("more than one sample " + name + " with " + labels + " in\n" + text);
                }
                found = Double.parseDouble(m.group(4));
            }
        }
        return found;
    }

    /** Scrapes until {@code done} holds for the scrape or 60 s pass; returns the last scrape. */
    public static Scrape await(int managementPort, Predicate<Scrape> done) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Scrape s = of(managementPort);
        while (!done.test(s) && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
            s = of(managementPort);
        }
        return s;
    }
}
