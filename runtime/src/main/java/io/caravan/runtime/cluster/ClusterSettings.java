package io.caravan.runtime.cluster;

import io.caravan.spec.Durations;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.kubernetes.cluster.LeaseResourceType;

/**
 * {@code caravan.cluster.*}: the Camel cluster service that elects, per {@code schedule}, the one
 * instance that fires it. Every schedule's consumer is {@code master:<namespace>:<timer or quartz>}
 * (camel-master), which starts the timer only while this instance leads the namespace.
 *
 * <ul>
 * <li>{@code file} (the default): an OS lock on a file per schedule under {@code caravan.cluster.root}
 * ({@code <home>/.caravan/cluster}); instances on one host started from one home share it.
 * Camel's FileLockClusterService also writes a heartbeat beside the lock, and a follower takes
 * over once the lock is free and the heartbeat older than the lease.</li>
 * <li>{@code kubernetes}: a {@code coordination.k8s.io/v1} Lease per schedule in the pod's
 * namespace (KubernetesClusterService); the pod needs the Role that {@code caravan deploy
 * kubernetes} writes, and the label {@code app.kubernetes.io/name=caravan}: the Lease controller
 * only lets pods so labelled lead.</li>
 * <li>{@code none}: every instance fires every schedule (one instance only).</li>
 * </ul>
 *
 * {@code caravan.cluster.lease} (default 15s) is how long a dead leader may go unnoticed: the file
 * service tries the lock every fifth of it and holds a leader stale after five silent tries;
 * Kubernetes leases last that long, are renewed within two thirds of it and retried every fifth.
 */
public record ClusterSettings(String service, String instance, Path root, Duration lease, String namespace) {

    public static final String SERVICE = "caravan.cluster.service";
    public static final String ROOT = "caravan.cluster.root";
    public static final String LEASE = "caravan.cluster.lease";
    public static final String NAMESPACE = "caravan.cluster.namespace";
    public static final String INSTANCE = "caravan.instance";

    /** Reads the settings; a bad value fails here, naming the setting and what it accepts. */
    public static ClusterSettings from(Properties p, Path home) {
        return from(name -> java.util.Optional.ofNullable(p.getProperty(name)), home);
    }

    /** The same from any source of settings: Camel's properties, when compiled routes run in a plain camel-main. */
    public static ClusterSettings from(java.util.function.Function<String, java.util.Optional<String>> settings, Path home) {
        String given = settings.apply(SERVICE).orElse("file");
        String service = given.strip().toLowerCase(Locale.ROOT);
        if (!java.util.List.of("file", "kubernetes", "none").contains(service)) {
            throw new IllegalArgumentException(SERVICE + " must be file, kubernetes or none, got '" + given + "'");
        }
        String leaseText = settings.apply(LEASE).orElse("15s").strip();
        Duration lease = Durations.parse(leaseText).filter(d -> d.toMillis() >= 1000)
                .orElseThrow(() -> new IllegalArgumentException(LEASE + " must be a duration of 1s or more, like 15s, got '" + leaseText + "'"));
        Path root = settings.apply(ROOT).map(r -> Path.of(r.strip())).orElse(home.resolve(".caravan").resolve("cluster"));
        String instance = settings.apply(INSTANCE).orElseGet(ClusterSettings::defaultInstance).strip();
        return new ClusterSettings(service, instance, root.toAbsolutePath().normalize(), lease,
                settings.apply(NAMESPACE).orElse("").strip());
    }

    /** In Kubernetes the pod's name (HOSTNAME); elsewhere host name and process id. */
    static String defaultInstance() {
        String host = System.getenv().getOrDefault("HOSTNAME", "");
        if (host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                host = "localhost";
            }
        }
        return System.getenv("KUBERNETES_SERVICE_HOST") != null ? host : host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
    }

    /** The cluster service these settings describe, not yet started (Camel starts it with the context). */
    public CamelClusterService create() {
        long leaseMillis = lease.toMillis();
        return switch (service) {
            case "file" -> {
                FileLockClusterService file = new FileLockClusterService();
                file.setId(instance);
                file.setRoot(root.toString());
                file.setAcquireLockDelay(Math.min(1000, leaseMillis / 5), TimeUnit.MILLISECONDS);
                file.setAcquireLockInterval(leaseMillis / 5, TimeUnit.MILLISECONDS);
                file.setHeartbeatTimeoutMultiplier(5);
                yield file;
            }
            case "kubernetes" -> {
                KubernetesClusterService kubernetes = new KubernetesClusterService();
                kubernetes.setId(instance);
                // the Lease controller takes part only while its pod is among the pods labelled
                // app.kubernetes.io/name=caravan (as caravan deploy kubernetes labels them): in a
                // pod that is HOSTNAME, whatever caravan.instance says
                String pod = System.getenv("KUBERNETES_SERVICE_HOST") != null && System.getenv("HOSTNAME") != null
                        ? System.getenv("HOSTNAME") : instance;
                kubernetes.setPodName(pod);
                if (!namespace.isBlank()) {
                    kubernetes.setKubernetesNamespace(namespace);
                }
                kubernetes.setLeaseResourceType(LeaseResourceType.Lease);
                kubernetes.setKubernetesResourceName("caravan");
                kubernetes.setClusterLabels(Map.of("app.kubernetes.io/name", "caravan"));
                kubernetes.setLeaseDurationMillis(leaseMillis);
                kubernetes.setRenewDeadlineMillis(leaseMillis * 2 / 3);
                kubernetes.setRetryPeriodMillis(leaseMillis / 5);
                yield kubernetes;
            }
            default -> new AloneClusterService(instance);
        };
    }

    /** For the start-up banner and logs: which service, and where. */
    public String describe() {
        return switch (service) {
            case "file" -> "file lock under " + root + ", lease " + Durations.format(lease);
            case "kubernetes" -> "Kubernetes Lease" + (namespace.isBlank() ? "" : " in namespace " + namespace) + ", lease " + Durations.format(lease);
            default -> "none: this instance fires every schedule";
        };
    }
}
