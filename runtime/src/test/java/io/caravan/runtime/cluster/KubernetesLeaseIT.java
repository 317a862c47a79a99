package io.caravan.runtime.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.testing.Await;
import io.caravan.testing.Ports;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code caravan.cluster.service=kubernetes} without a cluster: two runtimes in this JVM elect
 * the instance that fires a schedule through Camel's KubernetesClusterService against the fabric8
 * client's mock API server in CRUD mode, which keeps the Lease as an API server would. One fires,
 * the other does not; the Lease names the leader; once the leader stops and its pod is gone, the
 * other takes over.
 */
class KubernetesLeaseIT {

    private static final String NAMESPACE = "caravan-test";

    @TempDir
    Path dir;

    private KubernetesMockServer server;
    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void apiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        // how the fabric8 client inside KubernetesClusterService finds its API server outside a pod
        setProperty("kubernetes.master", server.url("/"));
        setProperty("kubernetes.namespace", NAMESPACE);
        setProperty("kubernetes.auth.tryKubeConfig", "false");
        setProperty("kubernetes.auth.tryServiceAccount", "false");
        setProperty("kubernetes.trust.certificates", "true");
    }

    @AfterEach
    void stop() {
        saved.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
        server.destroy();
    }

    private void setProperty(String key, String value) {
        saved.putIfAbsent(key, System.getProperty(key));
        System.setProperty(key, value);
    }

    private CaravanRuntime start(String instance) throws Exception {
        Path home = Files.createDirectories(dir.resolve(instance));
        Files.createDirectories(home.resolve("workflows"));
        Files.writeString(home.resolve("workflows/tick.yaml"), """
                id: tick
                nodes:
                  - {id: every, type: schedule, config: {interval: 500ms}}
                  - {id: note, type: log, config: {message: "tick"}}
                edges: [{from: every, to: note}]
                """);
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free()),
                "camel.main.name", "caravan-" + instance,
                "caravan.cluster.service", "kubernetes",
                "caravan.cluster.namespace", NAMESPACE,
                "caravan.cluster.lease", "3s",
                "caravan.instance", instance))).start();
    }

    private static boolean leads(CaravanRuntime runtime) {
        return Leadership.of(runtime.context(), "tick").orElse(false);
    }

    private static double ticks(CaravanRuntime runtime) {
        var counter = runtime.observability().registry().find("caravan.messages.received").tag("workflow", "tick").counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void oneInstanceFiresTheScheduleAndTheOtherTakesOverWhenItStops() throws Exception {
        // the Lease controller counts as members the pods labelled as the Deployment labels them
        try (KubernetesClient client = server.createClient()) {
            for (String pod : new String[] {"pod-a", "pod-b"}) {
                var running = new io.fabric8.kubernetes.api.model.PodBuilder()
                        .withNewMetadata().withName(pod).addToLabels("app.kubernetes.io/name", "caravan").endMetadata()
                        .withNewSpec().addNewContainer().withName("caravan").withImage("caravan:latest").endContainer().endSpec()
                        .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True").endCondition()
                        .endStatus().build();
                client.pods().inNamespace(NAMESPACE).resource(running).create();
                client.pods().inNamespace(NAMESPACE).resource(running).updateStatus();
            }
        }
        CaravanRuntime a = start("pod-a");
        CaravanRuntime b = start("pod-b");
        try {
            Await.until("one of the two leads", Duration.ofSeconds(30), () -> leads(a) || leads(b));
            CaravanRuntime leader = leads(a) ? a : b;
            CaravanRuntime follower = leader == a ? b : a;
            // the timer starts a second after the lead is taken; on a loaded machine ticks come late,
            // so wait for them rather than for a fixed time
            Await.until("the leader ticks three times", Duration.ofSeconds(30), () -> ticks(leader) >= 3);
            assertThat(leads(follower)).as("two leaders").isFalse();
            assertThat(ticks(follower)).as("the follower's ticks while the leader ticks").isZero();
            try (KubernetesClient client = server.createClient()) {
                var leases = client.leases().inNamespace(NAMESPACE).list().getItems();
                assertThat(leases).as("the Lease of the schedule's namespace").anySatisfy(l -> {
                    assertThat(l.getMetadata().getName()).contains(io.caravan.compile.nodes.ScheduleTrigger.clusterNamespace("tick"));
                    assertThat(l.getSpec().getHolderIdentity()).isEqualTo(leader.cluster().instance());
                });
            }

            // the leader's pod goes (scaled down, evicted): its process stops, then the pod is gone.
            // While its pod is still listed, Camel's Lease controller keeps it as the holder
            long stopped = System.nanoTime();
            leader.close();
            try (KubernetesClient client = server.createClient()) {
                client.pods().inNamespace(NAMESPACE).withName(leader.cluster().instance()).delete();
            }
            Await.until("the other takes over", Duration.ofSeconds(30), () -> leads(follower));
            long tookOver = (System.nanoTime() - stopped) / 1_000_000;
            double before = ticks(follower);
            Await.until("the new leader ticks", Duration.ofSeconds(10), () -> ticks(follower) > before);
            System.out.println("KUBERNETES lease=3000ms took_over_after_ms=" + tookOver);
            assertThat(tookOver).as("ms until the other leads (lease 3 s)").isLessThan(15_000);
        } finally {
            a.close();
            b.close();
        }
    }
}
