package io.caravan.runtime;

import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.apache.camel.model.ModelCamelContext;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.slf4j.Logger;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.slf4j.LoggerFactory;

/**
 * Hand-written route files ({@code *.camel.yaml}), added to a running Camel one file at a time,
 * so that a route that cannot start (a component that is not there, a bad option, a port in use)
 * is reported and leaves the other routes and the workflows running.
 *
 * <p>A file is first added whole, as camel-main would. When that fails, the routes of the file
 * that did not start are taken out and added again one by one: each one that fails again is a
 * {@link Failure}, logged, named by {@code /ready} (the readiness check {@value #CHECK_ID}) and
 * listed by the {@code RouteFiles} MBean. A file that cannot be read at all is one failure.
 * {@code caravan run --strict} does not use this class: camel-main loads the files before it
 * starts, and any failure stops the start.
 */
public final class RouteFiles {

    public static final String CHECK_ID = "caravan-routes";

    private static final Logger LOG = LoggerFactory.getLogger(RouteFiles.class);

    /** A route (or, with a null route id, a whole file) that could not start. */
    public record Failure(Path file, String routeId, int line, int column, String reason) {

        public String describe() {
            return (routeId == null ? "route file" : "route '" + routeId + "'") + " (" + file + (line > 0 ? ":" + line : "")
                    + (column > 0 ? ":" + column : "") + ") did not start: " + reason;
        }
    }

    private final CamelContext context;
    private final List<Failure> failures = new CopyOnWriteArrayList<>();

    public RouteFiles(CamelContext context) {
        this.context = context;
    }

    /** Adds every file's routes to the started context; never throws for a route's own failure. */
    public void load(List<Path> files) {
        for (Path file : files) {
            load(file);
        }
    }

    /**
     * A route file changed, appeared or went away while Caravan runs ({@code --watch}, dev): its
     * routes are taken out and the new version added as at start, a route that cannot start
     * reported the same way. A file that is not YAML any more leaves the running version in place.
     */
    public synchronized void reload(Path file) {
        failures.removeIf(f -> sameFile(f.file(), file));
        SourceNode root = null;
        if (Files.exists(file)) {
            try {
                root = SourceParser.parse(file, file.toString(), true).root();
            } catch (InvalidFileException e) {
                Diagnostic d = e.diagnostics().get(0);
                fail(new Failure(file, null, d.line(), d.column(), "YAML: " + d.message() + "; the running version stays in place"));
                return;
            }
        }
        List<String> removed = remove(file);
        if (!Files.exists(file)) {
            LOG.info("{} deleted: stopped and removed route(s) {}", file, removed);
            return;
        }
        load(file, root);
        LOG.info("{} changed: route(s) {} replaced by {}", file, removed, routeIds(file));
    }

    /** Stops and removes the routes that came from the file; returns their ids. */
    private List<String> remove(Path file) {
        ModelCamelContext model = (ModelCamelContext) context;
        List<String> ids = new ArrayList<>();
        for (RouteDefinition d : ofFile(file)) {
            ids.add(d.getRouteId());
            remove(model, d);
        }
        return ids;
    }

    private List<String> routeIds(Path file) {
        return ofFile(file).stream().map(RouteDefinition::getRouteId).toList();
    }

    private List<RouteDefinition> ofFile(Path file) {
        String location = "file:" + file.toAbsolutePath();
        List<RouteDefinition> found = new ArrayList<>();
        for (RouteDefinition d : ((ModelCamelContext) context).getRouteDefinitions()) {
            if (d.getResource() != null && location.equals(d.getResource().getLocation())) {
                found.add(d);
            }
        }
        return found;
    }

    private static boolean sameFile(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** The routes that could not start and are not running now (a reloaded file may have fixed one). */
    public List<Failure> failures() {
        return failures.stream().filter(f -> f.routeId() == null || !started(context, f.routeId())).toList();
    }

    private void load(Path file) {
        SourceNode root;
        try {
            root = SourceParser.parse(file, file.toString(), true).root();
        } catch (InvalidFileException | java.io.UncheckedIOException e) {
            root = null; // not YAML: Camel's loader says where, in its words (unreadable below)
        }
        load(file, root);
    }

    private synchronized void load(Path file, SourceNode root) {
        Optional<String> shape = RouteFileCheck.wrongShape(root);
        if (shape.isPresent()) {
            // Camel's loader reads such a file as nothing at all, without a word
            fail(new Failure(file, null, 1, 1, shape.get()));
            return;
        }
        Resource resource = PluginHelper.getResourceLoader(context).resolveResource("file:" + file.toAbsolutePath());
        try {
            PluginHelper.getRoutesLoader(context).loadRoutes(resource);
        } catch (Exception e) {
            isolate(file, e);
        }
    }

    /** After a file failed: keeps its started routes, retries the others one by one. */
    private void isolate(Path file, Exception failure) {
        ModelCamelContext model = (ModelCamelContext) context;
        List<RouteDefinition> ofFile = ofFile(file);
        if (ofFile.isEmpty()) {
            // nothing of the file reached Camel's model: it could not be read or parsed
            fail(unreadable(file, failure));
            return;
        }
        for (RouteDefinition d : ofFile) {
            String id = d.getRouteId();
            if (id != null && started(context, id)) {
                continue;
            }
            remove(model, d);
            try {
                model.addRouteDefinition(d);
            } catch (Exception e) {
                fail(new Failure(file, id, line(d), 0, reason(e)));
                remove(model, d);
            }
        }
    }

    /** A file Camel could not read: a YAML error names its line and column. */
    private static Failure unreadable(Path file, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MarkedYamlEngineException y && y.getProblemMark().isPresent()) {
                Mark mark = y.getProblemMark().get();
                String context = y.getContext() == null ? "" : y.getContext() + ": ";
                return new Failure(file, null, mark.getLine() + 1, mark.getColumn() + 1, "YAML: " + context + y.getProblem());
            }
        }
        return new Failure(file, null, 0, 0, reason(failure));
    }

    private void fail(Failure f) {
        failures.add(f);
        LOG.error("{}; the other routes and the workflows run", f.describe());
    }

    private static void remove(ModelCamelContext model, RouteDefinition d) {
        try {
            model.removeRouteDefinition(d);
        } catch (Exception e) {
            LOG.debug("could not remove route {}: {}", d.getRouteId(), e.toString());
        }
    }

    private static boolean started(CamelContext context, String routeId) {
        if (context.getRoute(routeId) == null) {
            return false;
        }
        ServiceStatus status = context.getRouteController().getRouteStatus(routeId);
        return status != null && status.isStarted();
    }

    private static int line(RouteDefinition d) {
        int line = d.getInput() != null ? d.getInput().getLineNumber() : -1;
        return line > 0 ? line : d.getLineNumber();
    }

    /**
     * The innermost message that says something (Camel wraps "No component found with scheme:
     * foo" in two layers of "Failed to create route ..."), with what to do about a missing
     * component.
     */
    static String reason(Throwable failure) {
        Throwable deepest = failure;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                deepest = t;
            }
        }
        String message = Objects.requireNonNullElse(deepest.getMessage(), deepest.getClass().getName());
        return MissingComponents.explain(message).orElse(message);
    }

    /** The readiness check that names the routes that did not start. */
    public AbstractHealthCheck healthCheck() {
        return new AbstractHealthCheck("caravan", CHECK_ID) {
            @Override
            public boolean isLiveness() {
                return false;
            }

            @Override
            protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
                List<String> problems = failures().stream().map(Failure::describe).toList();
                if (problems.isEmpty()) {
                    builder.up();
                } else {
                    builder.message(String.join("; ", problems)).detail("problems", problems).down();
                }
            }
        };
    }
}
