package io.caravan.runtime;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.apache.camel.CamelContext;
import org.apache.camel.main.download.DependencyDownloaderClassLoader;
import org.apache.camel.main.download.DependencyDownloaderComponentResolver;
import org.apache.camel.main.download.DependencyDownloaderDataFormatResolver;
import org.apache.camel.main.download.DependencyDownloaderLanguageResolver;
import org.apache.camel.main.download.DependencyDownloaderUriFactoryResolver;
import org.apache.camel.main.download.DownloadListener;
import org.apache.camel.main.download.MavenDependencyDownloader;
import org.apache.camel.main.download.TypeConverterLoaderDownloadListener;
import org.apache.camel.spi.ComponentResolver;
import org.apache.camel.spi.DataFormatResolver;
import org.apache.camel.spi.LanguageResolver;
import org.apache.camel.spi.UriFactoryResolver;
import org.apache.camel.support.PluginHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Components Caravan does not ship, added at start the way {@code camel run} adds them, with Camel
 * JBang's own downloader (camel-kamelet-main's {@code org.apache.camel.main.download}):
 *
 * <ul>
 *   <li>{@code --dep GROUP:ARTIFACT[:VERSION]} and {@code caravan.dependencies} (comma separated;
 *       {@code camel-x} is short for {@code org.apache.camel:camel-x}; Camel's artifacts take
 *       Caravan's Camel version), resolved with their dependencies through the local Maven
 *       repository and the remote ones of {@code ~/.m2/settings.xml} (Maven Central by default)
 *       plus {@code caravan.dependencies.repos}, and cached in the local repository;</li>
 *   <li>{@code caravan.dependencies.auto} (on in {@code dev}): a component, data format or
 *       language a route names and Caravan lacks is looked up in Camel's catalog and fetched;</li>
 *   <li>{@code caravan.dependencies.download=false}: the local repository only (production with no
 *       network);</li>
 *   <li>{@code lib/} in the Caravan home ({@code caravan.lib}): every jar in it is on the class
 *       path, without any resolution;</li>
 *   <li>the folders of the route files are on the class path too, as {@code camel run} has them.</li>
 * </ul>
 *
 * A dependency that cannot be resolved is logged with its coordinates; the routes that need it
 * then fail alone, with the artifact to add ({@link RouteFiles}).
 */
public final class Dependencies {

    private static final Logger LOG = LoggerFactory.getLogger(Dependencies.class);
    private static final String CAMEL_GROUP = "org.apache.camel";

    private final List<String> added = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();
    private ClassLoader threadLoaderBefore;

    private Dependencies() {
    }

    /** What was added ("g:a:v", "lib/x.jar") and what could not be resolved, for the banner. */
    public List<String> added() {
        return List.copyOf(added);
    }

    public List<String> failed() {
        return List.copyOf(failed);
    }

    /** Gives the starting thread its class loader back (several runtimes in one JVM: the tests). */
    void close() {
        if (threadLoaderBefore != null && Thread.currentThread().getContextClassLoader() instanceof DependencyDownloaderClassLoader) {
            Thread.currentThread().setContextClassLoader(threadLoaderBefore);
        }
    }

    /** {GROUP, ARTIFACT, VERSION or null} of "g:a[:v]" or "camel-x"; null for something else. */
    public static String[] coordinates(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String[] parts = text.strip().split(":");
        if (parts.length == 1 && parts[0].startsWith("camel-")) {
            return new String[] {CAMEL_GROUP, parts[0], null};
        }
        if (parts.length == 2 || parts.length == 3) {
            for (String p : parts) {
                if (p.isBlank()) {
                    return null;
                }
            }
            return new String[] {parts[0], parts[1], parts.length == 3 ? parts[2] : null};
        }
        return null;
    }

    /** The lib/ folder: {@code caravan.lib}, or {@code lib/} in the Caravan home. */
    public static Path libDir(RuntimeOptions options, Properties settings) {
        String dir = settings.getProperty("caravan.lib");
        return dir != null && !dir.isBlank() ? Path.of(dir.strip()) : options.home().resolve("lib");
    }

    /**
     * Puts lib/ and the dependencies on the class path Camel loads components from, and (auto)
     * the resolvers that fetch what a route names. Call before routes are loaded: Camel
     * remembers a component it could not find.
     */
    static Dependencies install(CamelContext context, Properties settings, Path lib, List<Path> routeDirs) {
        Dependencies result = new Dependencies();
        List<File> jars = jars(lib);
        List<String[]> wanted = new ArrayList<>();
        for (String dep : settings.getProperty("caravan.dependencies", "").split(",")) {
            if (dep.isBlank()) {
                continue;
            }
            String[] gav = coordinates(dep);
            if (gav == null) {
                throw new IllegalArgumentException("--dep or caravan.dependencies: '" + dep.strip() + "' is not GROUP:ARTIFACT[:VERSION]"
                        + " (or camel-NAME for a Camel component)");
            }
            if (gav[2] == null) {
                if (!gav[0].equals(CAMEL_GROUP)) {
                    throw new IllegalArgumentException("--dep or caravan.dependencies: '" + dep.strip() + "' needs a version"
                            + " (GROUP:ARTIFACT:VERSION): only Camel's own artifacts take Caravan's Camel version");
                }
                gav[2] = context.getVersion();
            }
            wanted.add(gav);
        }
        boolean auto = Boolean.parseBoolean(settings.getProperty("caravan.dependencies.auto", "false"));
        if (jars.isEmpty() && wanted.isEmpty() && !auto && routeDirs.isEmpty()) {
            return result;
        }
        DependencyDownloaderClassLoader loader = new DependencyDownloaderClassLoader(CaravanRuntime.class.getClassLoader());
        context.setApplicationContextClassLoader(loader);
        PluginHelper.getPackageScanClassResolver(context).addClassLoader(loader);
        PluginHelper.getPackageScanResourceResolver(context).addClassLoader(loader);
        TypeConverterLoaderDownloadListener converters = new TypeConverterLoaderDownloadListener();
        converters.setCamelContext(context);
        // as camel run does: files beside the routes (an XSLT stylesheet, a template) are class path
        // resources, so `resourceUri: stylesheet.xsl` finds routes/stylesheet.xsl
        for (Path dir : routeDirs) {
            loader.addFile(dir.toAbsolutePath().toFile());
        }
        for (File jar : jars) {
            loader.addFile(jar);
            // what the downloader does for the jars it fetches: their @Converter classes
            converters.onDownloadedFile(jar);
            result.added.add(lib.resolve(jar.getName()).toString());
        }
        // libraries that look classes up through the thread (JDBC drivers, ServiceLoader) and
        // the threads Camel starts from here on
        result.threadLoaderBefore = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        if (wanted.isEmpty() && !auto) {
            if (!jars.isEmpty()) {
                LOG.info("added to the class path: {}", result.added);
            }
            return result;
        }
        // the downloader skips what java.class.path holds; under `java -jar` (and Maven's test
        // runners) that is one jar whose manifest lists the rest, which it would fetch again
        expandClassPath();
        MavenDependencyDownloader downloader = new MavenDependencyDownloader();
        downloader.setCamelContext(context);
        downloader.setClassLoader(loader);
        boolean download = Boolean.parseBoolean(settings.getProperty("caravan.dependencies.download", "true"));
        downloader.setDownload(download);
        String repos = settings.getProperty("caravan.dependencies.repos", "");
        if (!repos.isBlank()) {
            downloader.setRepositories(repos);
        }
        Set<String> resolved = new LinkedHashSet<>();
        downloader.addDownloadListener(new DownloadListener() {
            @Override
            public void onDownloadDependency(String groupId, String artifactId, String version) {
            }

            @Override
            public void onDownloadedDependency(String groupId, String artifactId, String version) {
                String gav = groupId + ":" + artifactId + ":" + version;
                if (resolved.add(gav)) {
                    LOG.info("added {} to the class path", gav);
                }
            }

            @Override
            public void onAlreadyDownloadedDependency(String groupId, String artifactId, String version) {
            }
        });
        downloader.addArtifactDownloadListener(converters);
        try {
            context.addService(downloader);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the dependency downloader: " + e.getMessage(), e);
        }
        for (String[] gav : wanted) {
            String text = String.join(":", gav);
            // errors are logged by the downloader, not thrown: what it added says whether it worked
            downloader.downloadDependency(gav[0], gav[1], gav[2]);
            if (resolved.contains(text) || downloader.alreadyOnClasspath(gav[0], gav[1], gav[2])) {
                result.added.add(text);
            } else {
                result.failed.add(text);
                LOG.error("dependency {} could not be resolved (from the local Maven repository{}); routes that need it"
                        + " will not start", text, download ? " or the remote ones" : " only:"
                        + " caravan.dependencies.download is false");
            }
        }
        if (auto) {
            // silent: platform-http must not start a second HTTP server of JBang's
            var ecc = context.getCamelContextExtension();
            ecc.addContextPlugin(ComponentResolver.class, new DependencyDownloaderComponentResolver(context, null, true, false));
            ecc.addContextPlugin(DataFormatResolver.class, new DependencyDownloaderDataFormatResolver(context, null, true));
            ecc.addContextPlugin(LanguageResolver.class, new DependencyDownloaderLanguageResolver(context, null, true));
            // `uri: xslt` with `parameters:` is turned into a URI by the component's own factory,
            // when the route is read: before anything fetched the component without this one
            // (seen with the Camel JBang xslt example: "include href is empty")
            ecc.addContextPlugin(UriFactoryResolver.class, new DependencyDownloaderUriFactoryResolver(context));
        }
        return result;
    }

    private static List<File> jars(Path lib) {
        if (!Files.isDirectory(lib)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(lib)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().map(Path::toFile).toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + lib + ": " + e.getMessage(), e);
        }
    }

    /**
     * Adds the manifest Class-Path of the jars on java.class.path to it. lib/'s jars are not added:
     * the property is the JVM's, and another runtime in it (the tests) would take them as its own.
     */
    private static synchronized void expandClassPath() {
        String cp = System.getProperty("java.class.path", "");
        List<String> entries = new ArrayList<>(List.of(cp.split(File.pathSeparator)));
        for (String entry : List.copyOf(entries)) {
            if (!entry.endsWith(".jar")) {
                continue;
            }
            File jar = new File(entry);
            try (JarFile jf = new JarFile(jar)) {
                Manifest manifest = jf.getManifest();
                String listed = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
                if (listed == null) {
                    continue;
                }
                for (String item : listed.trim().split("\\s+")) {
                    File f = item.startsWith("file:") ? new File(URI.create(item))
                            : new File(jar.getAbsoluteFile().getParentFile(), item);
                    if (!entries.contains(f.getAbsolutePath())) {
                        entries.add(f.getAbsolutePath());
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                LOG.debug("cannot read the manifest of {}: {}", jar, e.toString());
            }
        }
        System.setProperty("java.class.path", String.join(File.pathSeparator, entries));
    }
}
