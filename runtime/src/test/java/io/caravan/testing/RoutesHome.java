package io.caravan.testing;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Caravan home in a temporary folder holding hand-written {@code routes/*.camel.yaml}, started
 * the way {@code caravan run} starts one: the routes are loaded by Camel's YAML DSL, and the
 * shipped {@code kamelets/} folder is on the kamelet location beside the catalog.
 */
public final class RoutesHome {

    private final Path home;
    private final Map<String, String> properties = new HashMap<>();
    private final List<Path> extraPaths = new ArrayList<>();

    public RoutesHome(Path home) throws Exception {
        this.home = home;
        Files.createDirectories(home.resolve("routes"));
    }

    /** Writes {@code routes/<name>.camel.yaml}. */
    public RoutesHome route(String name, String yaml) throws Exception {
        Files.writeString(home.resolve("routes").resolve(name + ".camel.yaml"), yaml);
        return this;
    }

    /** A property the routes refer to as {{name}}. */
    public RoutesHome property(String name, String value) {
        properties.put(name, value);
        return this;
    }

    /** Another file or folder to load (workflows, more routes). */
    public RoutesHome load(Path path) {
        extraPaths.add(path);
        return this;
    }

    public Path routes() {
        return home.resolve("routes");
    }

    /** Starts Caravan on a free HTTP port (property caravan.http.port). */
    public CaravanRuntime start() throws Exception {
        properties.putIfAbsent("caravan.http.port", String.valueOf(Ports.free()));
        properties.putIfAbsent("caravan.management.port", String.valueOf(Ports.free()));
        List<Path> paths = new ArrayList<>(List.of(routes(), Path.of("kamelets")));
        paths.addAll(extraPaths);
        RuntimeOptions options = RuntimeOptions.defaults(home).withPaths(paths).withProperties(Map.copyOf(properties));
        return CaravanRuntime.create(options).start();
    }
}
