package io.caravan.runtime;

import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import io.caravan.source.SourceParser;
import io.caravan.workflow.Workflows;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the workflow folders and swaps changed workflows in while Caravan runs: a changed
 * file is validated and recompiled, and only a valid one replaces the running version; a
 * deleted file stops and removes its workflow. A changed route file ({@code *.camel.yaml}) goes
 * to {@link RouteFiles#reload}, which reports a route that cannot start as at start-up (under
 * {@code --strict}, Camel's own route watcher reloads them instead; see CaravanRuntime).
 */
public final class WorkflowWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkflowWatcher.class);
    /** Editors write a file in several steps; changes this close together are one change. */
    private static final long SETTLE_MILLIS = 300;

    private final WorkflowDeployer deployer;
    private final RouteFiles routes;
    private final WatchService watcher;
    private final Thread thread;

    private WorkflowWatcher(WorkflowDeployer deployer, RouteFiles routes, Set<Path> dirs) throws IOException {
        this.deployer = deployer;
        this.routes = routes;
        this.watcher = FileSystems.getDefault().newWatchService();
        for (Path dir : dirs) {
            dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
        }
        this.thread = new Thread(this::loop, "caravan-workflow-watcher");
        this.thread.setDaemon(true);
    }

    /**
     * Starts watching the folders that hold {@code watched} (files or folders); route files in
     * them go to {@code routes}, or are left to Camel when it is null.
     */
    public static WorkflowWatcher start(WorkflowDeployer deployer, RouteFiles routes, List<Path> watched) throws IOException {
        Set<Path> dirs = new LinkedHashSet<>();
        for (Path p : watched) {
            Path abs = p.toAbsolutePath().normalize();
            dirs.add(Files.isDirectory(abs) ? abs : abs.getParent());
        }
        WorkflowWatcher w = new WorkflowWatcher(deployer, routes, dirs);
        w.thread.start();
        LOG.info("watching {} for workflow{} changes", dirs, routes == null ? "" : " and route");
        return w;
    }

    private void loop() {
        try {
            while (true) {
                WatchKey key = watcher.take();
                Set<Path> changed = new LinkedHashSet<>();
                collect(key, changed);
                // let the writer finish, and take the rest of the burst with it
                WatchKey more;
                while ((more = watcher.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
                    collect(more, changed);
                }
                changed.forEach(this::apply);
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void collect(WatchKey key, Set<Path> changed) {
        Path dir = (Path) key.watchable();
        for (WatchEvent<?> event : key.pollEvents()) {
            if (event.context() instanceof Path name) {
                changed.add(dir.resolve(name));
            }
        }
        key.reset();
    }

    private void apply(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".camel.yaml") && routes != null) {
            routes.reload(file);
            return;
        }
        if (SourceParser.Format.of(name).isEmpty() || io.caravan.workflow.Workflows.isOtherYaml(name)) {
            return;
        }
        try {
            if (!Files.exists(file)) {
                List<String> removed = deployer.undeployFile(file);
                if (!removed.isEmpty()) {
                    LOG.info("{} deleted: stopped and removed workflow(s) {}", file, removed);
                }
                return;
            }
            if (!Workflows.looksLikeWorkflow(file)) {
                return;
            }
            List<String> deployed = deployer.deployFile(file);
            LOG.info("{} changed: deployed workflow(s) {}", file, deployed);
        } catch (InvalidFileException e) {
            StringBuilder report = new StringBuilder();
            for (Diagnostic d : e.diagnostics()) {
                report.append("\n  ").append(d.format());
            }
            LOG.warn("{} is invalid; the running version stays in place:{}", file, report);
        } catch (Exception e) {
            LOG.warn("{} could not be deployed; the running version stays in place: {}", file, e.getMessage());
        }
    }

    @Override
    public void close() throws IOException {
        watcher.close();
        thread.interrupt();
    }
}
