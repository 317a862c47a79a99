package io.caravan.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code caravan deploy kubernetes}: every manifest it writes parses with the fabric8 Kubernetes
 * model without a field the model does not know (a typo lands in a model's additional
 * properties, and fails here), the objects refer to each other by the right names, the KEDA
 * objects (generic resources to fabric8) carry only the fields KEDA's scalers read, no secret
 * value reaches them, and the committed example under deploy/kubernetes is what the command
 * writes today ({@code -Dcaravan.golden.update=true} writes it again).
 */
class KubernetesDeployTest {

    private static final Path EXAMPLE = Path.of("deploy/kubernetes/manifests");
    private static final Path EXAMPLE_CREDENTIALS = Path.of("deploy/kubernetes/credentials.yaml");

    /** What KEDA 2.16's scalers read from a trigger's metadata, of those Caravan writes. */
    private static final Map<String, Set<String>> METADATA = Map.of(
            "kafka", Set.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold", "offsetResetPolicy"),
            "aws-sqs-queue", Set.of("queueURL", "queueLength", "awsRegion", "awsEndpoint"),
            "rabbitmq", Set.of("protocol", "queueName", "mode", "value"),
            "redis-streams", Set.of("address", "addressFromEnv", "stream", "consumerGroup", "lagCount", "enableTLS", "username"));
    /** The authentication parameters each scaler takes from a TriggerAuthentication. */
    private static final Map<String, Set<String>> AUTH = Map.of(
            "kafka", Set.of("sasl", "username", "password", "tls", "ca"),
            "aws-sqs-queue", Set.of("awsAccessKeyID", "awsSecretAccessKey"),
            "rabbitmq", Set.of("host"),
            "redis-streams", Set.of("password", "username"));
    private static final Set<String> SCALED_OBJECT_SPEC = Set.of("scaleTargetRef", "minReplicaCount", "maxReplicaCount",
            "pollingInterval", "cooldownPeriod", "triggers");

    @TempDir
    Path dir;

    private String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Caravan(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Path.of("").toAbsolutePath()).execute(args);
        assertThat(code).as("exit code; stderr: " + err).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theExampleManifestsParseWithTheKubernetesModelAndReferToEachOther() throws Exception {
        Path written = dir.resolve("manifests");
        run("deploy", "kubernetes", "--credentials", EXAMPLE_CREDENTIALS.toString(), "--namespace", "caravan",
                "--out", written.toString(), "workflows");
        List<HasMetadata> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(written)) {
            for (Path f : files.sorted().toList()) {
                Object parsed = Serialization.unmarshal(Files.readString(f));
                assertThat(parsed).as(f.toString()).isInstanceOf(HasMetadata.class);
                objects.add((HasMetadata) parsed);
            }
        }
        objects.forEach(o -> assertThat(unknownFields(o, o.getKind())).as("fields the Kubernetes model does not know").isEmpty());
        objects.forEach(o -> assertThat(o.getMetadata().getNamespace()).as(o.getKind()).isEqualTo("caravan"));

        Deployment deployment = one(objects, Deployment.class);
        var pod = deployment.getSpec().getTemplate();
        var container = pod.getSpec().getContainers().get(0);
        assertThat(deployment.getSpec().getSelector().getMatchLabels()).isEqualTo(pod.getMetadata().getLabels());
        assertThat(pod.getSpec().getServiceAccountName()).isEqualTo(one(objects, ServiceAccount.class).getMetadata().getName());
        Set<String> ports = container.getPorts().stream().map(p -> p.getName()).collect(Collectors.toSet());
        assertThat(container.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
        assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
        assertThat(ports).contains(container.getReadinessProbe().getHttpGet().getPort().getStrVal(), "http");
        Set<String> configMaps = objects.stream().filter(ConfigMap.class::isInstance).map(o -> o.getMetadata().getName())
                .collect(Collectors.toSet());
        pod.getSpec().getVolumes().forEach(v -> {
            if (v.getConfigMap() != null) {
                assertThat(configMaps).contains(v.getConfigMap().getName());
            } else {
                assertThat(v.getSecret().getSecretName()).as("credentials come from a Secret the user makes").isEqualTo("caravan-credentials");
            }
        });
        assertThat(container.getVolumeMounts()).allMatch(m -> pod.getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals(m.getName())));
        assertThat(container.getEnvFrom().get(0).getSecretRef().getName()).isEqualTo("caravan-env");

        ConfigMap workflows = objects.stream().filter(o -> o.getMetadata().getName().equals("caravan-workflows"))
                .map(ConfigMap.class::cast).findFirst().orElseThrow();
        try (Stream<Path> files = Files.list(Path.of("workflows"))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (io.caravan.workflow.Workflows.isOtherYaml(name)) {
                    assertThat(workflows.getData()).as("a workflow's unit test is not deployed").doesNotContainKey(name);
                    continue;
                }
                assertThat(workflows.getData().get(name)).as(f.toString()).isEqualTo(Files.readString(f));
            }
        }
        ConfigMap config = objects.stream().filter(o -> o.getMetadata().getName().equals("caravan-config"))
                .map(ConfigMap.class::cast).findFirst().orElseThrow();
        assertThat(config.getData().get("application.properties")).contains("caravan.cluster.service=kubernetes",
                "caravan.cluster.namespace=caravan", "caravan.management.host=0.0.0.0");

        Service service = one(objects, Service.class);
        assertThat(service.getSpec().getSelector()).isEqualTo(pod.getMetadata().getLabels());
        assertThat(ports).contains(service.getSpec().getPorts().get(0).getTargetPort().getStrVal());
        assertThat(one(objects, PodDisruptionBudget.class).getSpec().getSelector().getMatchLabels()).isEqualTo(pod.getMetadata().getLabels());
        Role role = one(objects, Role.class);
        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(r.getResources()).containsExactly("leases");
            assertThat(r.getVerbs()).contains("get", "create", "update");
        });
        RoleBinding binding = one(objects, RoleBinding.class);
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
        assertThat(binding.getSubjects().get(0).getName()).isEqualTo(pod.getSpec().getServiceAccountName());

        // KEDA: generic resources to fabric8, so their fields are checked one by one
        List<GenericKubernetesResource> keda = objects.stream().filter(GenericKubernetesResource.class::isInstance)
                .map(GenericKubernetesResource.class::cast).toList();
        assertThat(keda).allMatch(k -> k.getApiVersion().equals("keda.sh/v1alpha1"));
        Map<String, GenericKubernetesResource> authentications = keda.stream().filter(k -> k.getKind().equals("TriggerAuthentication"))
                .collect(Collectors.toMap(k -> k.getMetadata().getName(), k -> k));
        List<GenericKubernetesResource> scaled = keda.stream().filter(k -> k.getKind().equals("ScaledObject")).toList();
        assertThat(scaled).hasSize(1);
        Map<String, Object> spec = map(scaled.get(0).getAdditionalProperties().get("spec"));
        assertThat(spec.keySet()).isSubsetOf(SCALED_OBJECT_SPEC);
        assertThat(map(spec.get("scaleTargetRef"))).containsEntry("kind", "Deployment").containsEntry("name",
                deployment.getMetadata().getName());
        List<Map<String, Object>> triggers = ((List<?>) spec.get("triggers")).stream().map(KubernetesDeployTest::map).toList();
        assertThat(triggers.stream().map(t -> t.get("type"))).as("one per queue source of the example workflows")
                .contains("kafka", "aws-sqs-queue", "rabbitmq", "redis-streams");
        for (Map<String, Object> t : triggers) {
            String type = (String) t.get("type");
            Map<String, Object> metadata = map(t.get("metadata"));
            assertThat(metadata.keySet()).as(type + " metadata").isSubsetOf(METADATA.get(type));
            assertThat(metadata.values()).as("KEDA metadata values are strings").allMatch(String.class::isInstance);
            if (t.get("authenticationRef") != null) {
                GenericKubernetesResource auth = authentications.get((String) map(t.get("authenticationRef")).get("name"));
                assertThat(auth).as("the TriggerAuthentication " + t.get("authenticationRef")).isNotNull();
                List<?> env = (List<?>) map(auth.getAdditionalProperties().get("spec")).get("env");
                for (Object e : env) {
                    assertThat(map(e).get("parameter")).as(type + " authentication").isIn(AUTH.get(type).toArray());
                    assertThat(map(e).get("containerName")).isEqualTo(container.getName());
                }
            }
        }
        Map<String, Object> sqs = triggers.stream().filter(t -> t.get("type").equals("aws-sqs-queue")).findFirst().map(t -> map(t.get("metadata"))).orElseThrow();
        assertThat(sqs).containsEntry("awsRegion", "eu-west-1").containsKey("queueLength");
    }

    /** No secret written out in a credentials file reaches a manifest: the trigger goes without, and a warning says so. */
    @Test
    void aSecretWrittenInTheCredentialsFileStaysOut() throws Exception {
        Path credentials = dir.resolve("credentials.yaml");
        Files.writeString(credentials, """
                sqs-local: {type: queue_aws_sqs, region: us-east-1, access_key_id: AKIA-SECRET-ID, secret_access_key: s3cr3t-KEY-value}
                rabbitmq-local: {type: queue_rabbitmq, url: "amqp://caravan:pa55-WORD@rabbit:5672"}
                kafka-local: {type: queue_kafka, brokers: ["k:9092"], consumer_group: caravan}
                redis-local: {type: queue_redis, url: "redis://:r3dis-PASS@redis:6379"}
                """);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new Caravan(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Path.of("").toAbsolutePath()).execute(new String[] {"deploy", "kubernetes", "--credentials", credentials.toString(), "workflows"});
        assertThat(code).as(err.toString()).isZero();
        String yaml = out.toString(StandardCharsets.UTF_8);
        assertThat(yaml).doesNotContain("AKIA-SECRET-ID", "s3cr3t-KEY-value", "pa55-WORD", "r3dis-PASS").contains("address: redis:6379");
        assertThat(err.toString()).contains("access_key_id is written in the credentials file", "url holds a password");
    }

    /** The committed example is what the command writes now. */
    @Test
    void theCommittedExampleIsWhatTheCommandWrites() throws Exception {
        Path written = Boolean.getBoolean("caravan.golden.update") ? EXAMPLE : dir.resolve("manifests");
        if (Files.isDirectory(written) && written.equals(EXAMPLE)) {
            try (Stream<Path> old = Files.list(EXAMPLE)) {
                for (Path f : old.toList()) {
                    Files.delete(f);
                }
            }
        }
        run("deploy", "kubernetes", "--credentials", EXAMPLE_CREDENTIALS.toString(), "--namespace", "caravan",
                "--out", written.toString(), "workflows");
        assertThat(contents(EXAMPLE)).as("deploy/kubernetes/manifests: regenerate with -Dcaravan.golden.update=true")
                .isEqualTo(contents(written));
    }

    private static Map<String, String> contents(Path dir) throws Exception {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> list = Files.list(dir)) {
            for (Path f : list.toList()) {
                files.put(f.getFileName().toString(), Files.readString(f));
            }
        }
        return files;
    }

    private static <T> T one(List<HasMetadata> objects, Class<T> type) {
        List<T> found = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(found).as(type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    /**
     * Paths to every non-empty additionalProperties map in a fabric8 model object: where the
     * model put a field it has no property for. KEDA objects are all additional properties and
     * are checked above instead.
     */
    private static List<String> unknownFields(Object o, String path) {
        List<String> found = new ArrayList<>();
        if (o == null || o instanceof GenericKubernetesResource) {
            return found;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) {
                found.addAll(unknownFields(item, path + "[" + i++ + "]"));
            }
            return found;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> found.addAll(unknownFields(v, path + "." + k)));
            return found;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return found;
        }
        for (Method getter : o.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get") || getter.getName().equals("getClass")) {
                continue;
            }
            try {
                Object value = getter.invoke(o);
                if (getter.getName().equals("getAdditionalProperties")) {
                    if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        found.add(path + ": " + extra.keySet());
                    }
                } else {
                    found.addAll(unknownFields(value, path + "." + getter.getName().substring(3)));
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        return found;
    }
}
