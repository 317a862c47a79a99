package io.caravan.runtime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How to start one Caravan process.
 *
 * @param home        the directory {@code workflows/}, {@code routes/}, {@code kamelets/} and
 *                    {@code config/} are found in
 * @param paths       files and directories to load instead of the home's default folders
 * @param credentials the credentials file, or null for {@code config/credentials.yaml}
 * @param properties  settings that win over {@code config/application.properties}
 * @param env         where {@code ${NAME}} in the credentials file is looked up
 */
public record RuntimeOptions(Path home, List<Path> paths, Path credentials, Map<String, String> properties,
                             Map<String, String> env) {

    public static RuntimeOptions defaults(Path home) {
        return new RuntimeOptions(home, List.of(), null, Map.of(), System.getenv());
    }

    public Path credentialsFile() {
        return credentials != null ? credentials : home.resolve("config").resolve("credentials.yaml");
    }

    public Path configFile() {
        return home.resolve("config").resolve("application.properties");
    }

    public Sources sources() {
        return paths.isEmpty() ? Sources.ofHome(home) : Sources.of(paths, false);
    }

    public RuntimeOptions withPaths(List<Path> newPaths) {
        return new RuntimeOptions(home, newPaths, credentials, properties, env);
    }

    public RuntimeOptions withCredentials(Path file) {
        return new RuntimeOptions(home, paths, file, properties, env);
    }

    public RuntimeOptions withProperties(Map<String, String> newProperties) {
        return new RuntimeOptions(home, paths, credentials, newProperties, env);
    }

    public RuntimeOptions withEnv(Map<String, String> newEnv) {
        return new RuntimeOptions(home, paths, credentials, properties, newEnv);
    }
}
