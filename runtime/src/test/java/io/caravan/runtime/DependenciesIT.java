package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.spi.BrowsableEndpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: a component Caravan does not ship (camel-exec, which the build puts in the local
 * Maven repository before the integration tests, and in target/it-lib, without putting it on
 * any class path) is added at start by --dep/caravan.dependencies, by its jars in lib/, and on
 * demand when a route names it (caravan.dependencies.auto, on in dev). The route runs
 * {@code echo} through it and the test reads what echo printed.
 */
class DependenciesIT {

    private static final String CAMEL = "4.17.0";
    private static final Path IT_LIB = Path.of("runtime/target/it-lib");

    @TempDir
    Path home;

    @BeforeAll
    static void execIsNotOnCaravansClassPath() {
        // else these tests would prove nothing
        assertThat(DependenciesIT.class.getClassLoader().getResource("META-INF/services/org/apache/camel/component/exec"))
                .isNull();
    }

    @Test
    void aDependencyGivenByCoordinatesIsAddedAndItsComponentRuns() throws Exception {
        execRoute();
        try (CaravanRuntime runtime = start(Map.of("caravan.dependencies", "camel-exec",
                "caravan.dependencies.download", "false"))) {
            assertThat(runtime.addedDependencies()).containsExactly("org.apache.camel:camel-exec:" + CAMEL);
            assertEchoed(runtime);
        }
    }

    @Test
    void aRouteNamingAMissingComponentFetchesItWhenAutoIsOn() throws Exception {
        execRoute();
        try (CaravanRuntime runtime = start(Map.of("caravan.dependencies.auto", "true",
                "caravan.dependencies.download", "false"))) {
            assertEchoed(runtime);
        }
    }

    @Test
    void withoutAutoTheRouteFailsAloneAndNamesTheArtifact() throws Exception {
        execRoute();
        try (CaravanRuntime runtime = start(Map.of())) {
            assertThat(runtime.failedRoutes()).singleElement().satisfies(f -> assertThat(f.describe())
                    .contains("the Camel component 'exec' is not in Caravan: add org.apache.camel:camel-exec"));
        }
    }

    @Test
    void jarsInLibAreOnTheClassPathWithoutAnyResolution() throws Exception {
        Files.createDirectories(home.resolve("lib"));
        for (String jar : List.of("camel-exec-" + CAMEL + ".jar", "commons-exec-1.6.0.jar")) {
            Files.copy(IT_LIB.resolve(jar), home.resolve("lib").resolve(jar));
        }
        execRoute();
        try (CaravanRuntime runtime = start(Map.of())) {
            assertThat(runtime.addedDependencies()).hasSize(2).allSatisfy(j -> assertThat(j).startsWith(home.resolve("lib").toString()));
            assertEchoed(runtime);
        }
    }

    @Test
    void aDependencyThatCannotBeResolvedIsNamedAndTheRestRuns() throws Exception {
        execRoute();
        try (CaravanRuntime runtime = start(Map.of("caravan.dependencies", "camel-exec,org.apache.camel:camel-no-such-component",
                "caravan.dependencies.download", "false"))) {
            assertThat(runtime.unresolvedDependencies()).containsExactly("org.apache.camel:camel-no-such-component:" + CAMEL);
            assertEchoed(runtime);
        }
    }

    private void execRoute() throws Exception {
        Files.createDirectories(home.resolve("routes"));
        Files.writeString(home.resolve("routes/echo.camel.yaml"), """
                - route:
                    id: echo
                    from:
                      uri: timer:echo?repeatCount=1
                      steps:
                        - to: exec:echo?args=fetched on demand
                        - convertBodyTo: {type: String}
                        - to: seda:out
                """);
    }

    private static void assertEchoed(CaravanRuntime runtime) throws InterruptedException {
        assertThat(runtime.failedRoutes()).isEmpty();
        BrowsableEndpoint out = runtime.context().getEndpoint("seda:out", BrowsableEndpoint.class);
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (out.getExchanges().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(out.getExchanges()).extracting(e -> e.getMessage().getBody(String.class))
                .containsExactly("fetched on demand\n");
        assertThat(out.getExchanges().get(0).getProperty(Exchange.EXCEPTION_CAUGHT)).isNull();
    }

    private CaravanRuntime start(Map<String, String> settings) throws Exception {
        Map<String, String> all = new HashMap<>(settings);
        all.put("caravan.http.port", String.valueOf(Ports.free()));
        all.put("caravan.management.port", String.valueOf(Ports.free()));
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(all)).start();
    }
}
