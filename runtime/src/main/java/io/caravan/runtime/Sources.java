package io.caravan.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files one Caravan process loads, sorted by kind: workflow files ({@code *.json},
 * {@code *.yaml}, {@code *.yml}), hand-written Camel routes ({@code *.camel.yaml}) and
 * kamelets ({@code *.kamelet.yaml}). Directories are read one level deep, in name order.
 */
public record Sources(List<Path> workflows, List<Path> routes, List<Path> kameletDirs) {

    /** The default layout of a Caravan home: workflows/, routes/ and kamelets/. */
    public static Sources ofHome(Path home) {
        // relative to the working directory when home is it, so reports name "workflows/x.json"
        Path base = home.toAbsolutePath().normalize().equals(Path.of("").toAbsolutePath()) ? Path.of("") : home;
        return of(List.of(base.resolve("workflows"), base.resolve("routes"), base.resolve("kamelets")), true);
    }

    /**
     * Sorts the given files and directories. With {@code skipMissing}, absent paths are
     * ignored (the default layout); otherwise an absent path is an error.
     */
    public static Sources of(List<Path> paths, boolean skipMissing) {
        List<Path> workflows = new ArrayList<>();
        List<Path> routes = new ArrayList<>();
        List<Path> kamelets = new ArrayList<>();
        for (Path path : paths) {
            if (!Files.exists(path)) {
                if (skipMissing) {
                    continue;
                }
                throw new IllegalArgumentException(path + ": no such file or directory");
            }
            if (Files.isDirectory(path)) {
                boolean hasKamelets = false;
                for (Path file : list(path)) {
                    hasKamelets |= sort(file, workflows, routes);
                }
                if (hasKamelets) {
                    kamelets.add(path);
                }
            } else if (sort(path, workflows, routes)) {
                kamelets.add(path.toAbsolutePath().getParent());
            }
        }
        return new Sources(List.copyOf(workflows), List.copyOf(routes), List.copyOf(kamelets));
    }

    /** A Camel route or kamelet file by its name ({@code *.camel.yaml}, {@code *.kamelet.yaml}), not a workflow. */
    public static boolean isCamelFile(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".camel.yaml") || name.endsWith(".kamelet.yaml");
    }

    /** Returns true when the file is a kamelet (kamelets are found by directory). */
    private static boolean sort(Path file, List<Path> workflows, List<Path> routes) {
        String name = file.getFileName().toString();
        if (name.endsWith(".kamelet.yaml")) {
            return true;
        }
        if (name.endsWith(".camel.yaml")) {
            routes.add(file);
        } else if ((name.endsWith(".json") || name.endsWith(".yaml") || name.endsWith(".yml"))
                && !io.caravan.workflow.Workflows.isOtherYaml(name)) {
            workflows.add(file);
        }
        return false;
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
