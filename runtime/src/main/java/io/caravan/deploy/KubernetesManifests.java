package io.caravan.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import io.caravan.binding.BindingSupport;
import io.caravan.credential.Credential;
import io.caravan.credential.CredentialStore;
import io.caravan.runtime.cluster.ClusterSettings;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import io.caravan.workflow.Workflow;
import io.caravan.workflow.WorkflowNode;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;

/**
 * {@code caravan deploy kubernetes}: the manifests that run a workflow set on Kubernetes, scaled
 * by KEDA on its queue sources. One Deployment runs every workflow (each pod is one Caravan
 * instance; the brokers' consumer groups and competing consumers share the work between pods,
 * a Lease per schedule picks the pod that fires it), with:
 * <ul>
 * <li>the workflow (and route) files in ConfigMaps, Caravan's settings in another;</li>
 * <li>the credentials file from a Secret the user creates ({@code caravan-credentials}, key
 * {@code credentials.yaml}); the environment variables it names (${NAME}) from the Secret
 * {@code caravan-env}. No secret value is ever written here;</li>
 * <li>a Service for webhooks, probes on /health and /ready, a PodDisruptionBudget, the
 * ServiceAccount, Role and RoleBinding the Lease needs;</li>
 * <li>a KEDA ScaledObject with one trigger per queue source, and a TriggerAuthentication per
 * credential whose secrets KEDA needs, reading the same environment variables from the pod.</li>
 * </ul>
 * KEDA 2.16 or later (keda.sh/v1alpha1; the redis-streams trigger's lagCount needs Redis 7).
 */
public final class KubernetesManifests {

    public static final String NAME = "caravan";
    public static final String KEDA_VERSION = "2.16";
    static final String CREDENTIALS_SECRET = "caravan-credentials";
    static final String ENV_SECRET = "caravan-env";
    static final int HTTP_PORT = 8080;
    static final int MANAGEMENT_PORT = 9876;

    /** What the command line sets. */
    public record Options(String namespace, String image, int minReplicas, int maxReplicas) {

        public Options {
            if (minReplicas < 0 || maxReplicas < 1 || minReplicas > maxReplicas) {
                throw new IllegalArgumentException("replicas: need 0 <= --min-replicas <= --max-replicas and --max-replicas >= 1, got "
                        + minReplicas + " and " + maxReplicas);
            }
            if (namespace != null && !namespace.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?")) {
                throw new IllegalArgumentException("--namespace must be a Kubernetes namespace name (lower case letters, digits and '-'), got '"
                        + namespace + "'");
            }
        }
    }

    /** One object: its kind and name, and its fields in manifest order. */
    public record Manifest(String kind, String name, Map<String, Object> body) {

        /** The file it is written to under --out. */
        public String fileName() {
            return kind.toLowerCase(Locale.ROOT) + "-" + name + ".yaml";
        }
    }

    /** The manifests, and what the user must know: a source KEDA cannot read without more, for one. */
    public record Result(List<Manifest> manifests, List<String> warnings) {

        /** Every manifest as one multi-document YAML text. */
        public String yaml() {
            StringWriter out = new StringWriter();
            out.write("# caravan deploy kubernetes: KEDA " + KEDA_VERSION + "+ (keda.sh/v1alpha1). Create the Secret "
                    + CREDENTIALS_SECRET + "\n# (key credentials.yaml) and, for the ${NAME}s it names, the Secret " + ENV_SECRET
                    + " before applying: see README \"Running several instances\".\n");
            try (SequenceWriter writer = yaml.writer().writeValues(out)) {
                for (Manifest m : manifests) {
                    writer.write(m.body());
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toString();
        }
    }

    private static final ObjectMapper yaml = new ObjectMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .build());

    private final Options options;
    /** What the user must know, each once (several workflows share a credential). */
    private final java.util.Set<String> warnings = new java.util.LinkedHashSet<>();

    private KubernetesManifests(Options options) {
        this.options = options;
    }

    /**
     * @param workflows       the loaded workflows (validated)
     * @param workflowFiles   their files, whose text goes into the ConfigMap as it is
     * @param routeFiles      route files (*.camel.yaml) to run beside them
     * @param credentials     the credentials file read with every ${NAME} kept as written (see {@link #keepReferences})
     */
    public static Result generate(List<Workflow> workflows, List<Path> workflowFiles, List<Path> routeFiles,
                                  CredentialStore credentials, Options options) {
        return new KubernetesManifests(options).build(workflows, workflowFiles, routeFiles, credentials);
    }

    /** An environment for CredentialStore.load that answers every ${NAME} with itself, so references survive reading. */
    public static Map<String, String> keepReferences() {
        return new java.util.AbstractMap<>() {
            @Override
            public String get(Object key) {
                return "${" + key + "}";
            }

            @Override
            public java.util.Set<Entry<String, String>> entrySet() {
                return java.util.Set.of();
            }
        };
    }

    private Result build(List<Workflow> workflows, List<Path> workflowFiles, List<Path> routeFiles, CredentialStore credentials) {
        List<Manifest> out = new ArrayList<>();
        out.add(object("v1", "ServiceAccount", NAME, Map.of()));
        out.add(object("rbac.authorization.k8s.io/v1", "Role", NAME + "-leader-election", map(
                "rules", List.of(
                        // KubernetesClusterService holds a Lease per schedule ...
                        map("apiGroups", List.of("coordination.k8s.io"), "resources", List.of("leases"),
                                "verbs", List.of("get", "list", "watch", "create", "update", "patch")),
                        // ... and watches the pods labelled as cluster members
                        map("apiGroups", List.of(""), "resources", List.of("pods"), "verbs", List.of("get", "list", "watch"))))));
        out.add(object("rbac.authorization.k8s.io/v1", "RoleBinding", NAME + "-leader-election", map(
                "roleRef", map("apiGroup", "rbac.authorization.k8s.io", "kind", "Role", "name", NAME + "-leader-election"),
                "subjects", List.of(withNamespace(map("kind", "ServiceAccount", "name", NAME))))));
        out.add(object("v1", "ConfigMap", NAME + "-config", map("data", map("application.properties", settings()))));
        out.add(object("v1", "ConfigMap", NAME + "-workflows", map("data", files(workflowFiles, "workflow"))));
        if (!routeFiles.isEmpty()) {
            out.add(object("v1", "ConfigMap", NAME + "-routes", map("data", files(routeFiles, "route"))));
        }
        out.add(deployment(!routeFiles.isEmpty()));
        out.add(object("v1", "Service", NAME, map("spec", map(
                "selector", selector(),
                "ports", List.of(map("name", "http", "port", HTTP_PORT, "targetPort", "http"))))));
        out.add(object("policy/v1", "PodDisruptionBudget", NAME, map("spec", map(
                "maxUnavailable", 1, "selector", map("matchLabels", selector())))));

        Map<String, Manifest> authentications = new TreeMap<>();
        List<Map<String, Object>> triggers = new ArrayList<>();
        for (Workflow w : workflows) {
            WorkflowNode t = w.trigger();
            if (t.type() != NodeType.RECEIVE_MESSAGE) {
                continue;
            }
            Optional<Credential> credential = credentials.find(t.credentialId());
            if (credential.isEmpty()) {
                warnings.add(w.id() + ": credential " + t.credentialId() + " not in the credentials file; no KEDA trigger");
                continue;
            }
            trigger(w, t, credential.get(), authentications).ifPresent(triggers::add);
        }
        out.addAll(authentications.values());
        if (triggers.isEmpty()) {
            warnings.add("no workflow reads a queue: no ScaledObject; the Deployment runs " + options.minReplicas()
                    + " replica(s)");
        } else {
            out.add(object("keda.sh/v1alpha1", "ScaledObject", NAME, map("spec", map(
                    "scaleTargetRef", map("apiVersion", "apps/v1", "kind", "Deployment", "name", NAME),
                    "minReplicaCount", options.minReplicas(),
                    "maxReplicaCount", options.maxReplicas(),
                    "pollingInterval", 15,
                    "cooldownPeriod", 300,
                    "triggers", triggers))));
        }
        return new Result(List.copyOf(out), List.copyOf(warnings));
    }

    // ---- the pods

    private String settings() {
        return """
                # written by caravan deploy kubernetes
                # a Lease per schedule (needs the Role caravan-leader-election) picks the one pod that fires it
                %s=kubernetes
                %s
                # the Service and the kubelet's probes reach the pod on its own address
                caravan.http.host=0.0.0.0
                caravan.http.port=%d
                caravan.management.host=0.0.0.0
                caravan.management.port=%d
                """.formatted(ClusterSettings.SERVICE,
                options.namespace() == null ? "# the Lease is in the pod's own namespace"
                        : ClusterSettings.NAMESPACE + "=" + options.namespace(), HTTP_PORT, MANAGEMENT_PORT);
    }

    private Manifest deployment(boolean routes) {
        List<Map<String, Object>> mounts = new ArrayList<>(List.of(
                map("name", "workflows", "mountPath", "/caravan/workflows", "readOnly", true),
                map("name", "config", "mountPath", "/caravan/config/application.properties", "subPath", "application.properties",
                        "readOnly", true),
                map("name", "credentials", "mountPath", "/caravan/config/credentials.yaml", "subPath", "credentials.yaml",
                        "readOnly", true)));
        List<Map<String, Object>> volumes = new ArrayList<>(List.of(
                map("name", "workflows", "configMap", map("name", NAME + "-workflows")),
                map("name", "config", "configMap", map("name", NAME + "-config")),
                map("name", "credentials", "secret", map("secretName", CREDENTIALS_SECRET))));
        if (routes) {
            mounts.add(map("name", "routes", "mountPath", "/caravan/routes", "readOnly", true));
            volumes.add(map("name", "routes", "configMap", map("name", NAME + "-routes")));
        }
        Map<String, Object> container = map(
                "name", NAME,
                "image", options.image(),
                "args", List.of("run"),
                "ports", List.of(map("name", "http", "containerPort", HTTP_PORT),
                        map("name", "management", "containerPort", MANAGEMENT_PORT)),
                // the variables the credentials file names as ${NAME}; KEDA's TriggerAuthentications read them too
                "envFrom", List.of(map("secretRef", map("name", ENV_SECRET, "optional", true))),
                "env", List.of(map("name", "JAVA_TOOL_OPTIONS", "value", "-XX:MaxRAMPercentage=75")),
                "startupProbe", probe("/health", 30),
                "livenessProbe", probe("/health", 3),
                // not ready while a broker is down or a source is deeper than its max_depth
                "readinessProbe", probe("/ready", 3),
                "resources", map("requests", map("cpu", "500m", "memory", "768Mi"), "limits", map("memory", "1Gi")),
                "volumeMounts", mounts);
        Map<String, Object> pod = map(
                "metadata", map("labels", selector()),
                "spec", map(
                        "serviceAccountName", NAME,
                        // Caravan drains in-flight runs within caravan.shutdown.timeout (15 s) on SIGTERM
                        "terminationGracePeriodSeconds", 30,
                        "containers", List.of(container),
                        "volumes", volumes));
        return object("apps/v1", "Deployment", NAME, map("spec", map(
                "replicas", Math.max(1, options.minReplicas()),
                "selector", map("matchLabels", selector()),
                "template", pod)));
    }

    private static Map<String, Object> probe(String path, int failures) {
        return map("httpGet", map("path", path, "port", "management"), "periodSeconds", 10, "failureThreshold", failures);
    }

    private Map<String, Object> files(List<Path> files, String what) {
        Map<String, Object> data = new TreeMap<>();
        for (Path f : files) {
            String key = f.getFileName().toString();
            if (data.containsKey(key)) {
                throw new IllegalArgumentException("two " + what + " files are named " + key + ": a ConfigMap holds one file per name");
            }
            try {
                data.put(key, Files.readString(f));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + f, e);
            }
        }
        return data;
    }

    // ---- KEDA

    /**
     * The trigger of one queue source, and the TriggerAuthentication of its credential when KEDA
     * needs its secrets (added to {@code authentications} once per credential).
     */
    private Optional<Map<String, Object>> trigger(Workflow w, WorkflowNode t, Credential c, Map<String, Manifest> authentications) {
        String target = String.valueOf(target(t));
        String source = t.address();
        String explicitGroup = t.config().optionalString(BindingSupport.CONSUMER_GROUP.name()).orElse(null);
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, String> auth = new LinkedHashMap<>(); // KEDA parameter -> environment variable
        String type;
        switch (t.queueType()) {
            case "kafka" -> {
                type = "kafka";
                Object brokers = c.get("brokers");
                String servers = brokers instanceof List<?> list ? String.join(",", list.stream().map(String::valueOf).toList())
                        : String.valueOf(brokers);
                if (servers.contains("${")) {
                    warnings.add("credential " + c.id() + "'s brokers name environment variables; KEDA needs them written out");
                }
                metadata.put("bootstrapServers", servers);
                metadata.put("consumerGroup", BindingSupport.groupName(c.string("consumer_group"), w.id(), explicitGroup));
                metadata.put("topic", source);
                metadata.put("lagThreshold", target);
                metadata.put("offsetResetPolicy", "earliest");
                if (c.get("sasl_mechanism") != null || c.get("tls_ca_file") != null) {
                    warnings.add("credential " + c.id() + " uses SASL or TLS: add its settings to its kafka triggers'"
                            + " TriggerAuthentication (KEDA's sasl, username, password, tls, ca) by hand");
                }
            }
            case "sqs" -> {
                type = "aws-sqs-queue";
                metadata.put("queueURL", source);
                metadata.put("queueLength", target);
                metadata.put("awsRegion", literal(c, "region"));
                if (c.get("endpoint") != null) {
                    metadata.put("awsEndpoint", literal(c, "endpoint"));
                }
                reference(c, "access_key_id").ifPresent(v -> auth.put("awsAccessKeyID", v));
                reference(c, "secret_access_key").ifPresent(v -> auth.put("awsSecretAccessKey", v));
            }
            case "rabbitmq" -> {
                type = "rabbitmq";
                metadata.put("protocol", "amqp");
                metadata.put("queueName", source);
                metadata.put("mode", "QueueLength");
                metadata.put("value", target);
                reference(c, "url").ifPresent(v -> auth.put("host", v));
            }
            case "redis" -> {
                type = "redis-streams";
                String url = c.string("url");
                Matcher env = CredentialStore.ENV.matcher(url);
                if (env.matches()) {
                    // KEDA wants host:port, not the URL: the pod's environment must hold it too
                    metadata.put("addressFromEnv", env.group(1) + "_ADDRESS");
                    warnings.add("the Secret " + ENV_SECRET + " must also hold " + env.group(1)
                            + "_ADDRESS (host:port of " + env.group(1) + ") for KEDA's redis-streams trigger");
                } else {
                    java.net.URI uri = java.net.URI.create(url);
                    if (uri.getUserInfo() != null) {
                        warnings.add("credential " + c.id() + "'s url holds a password written in the credentials"
                                + " file, not ${NAME}: KEDA's triggers on " + c.id() + " get the address only");
                    }
                    metadata.put("address", uri.getHost() + ":" + (uri.getPort() < 0 ? 6379 : uri.getPort()));
                    if ("rediss".equals(uri.getScheme())) {
                        metadata.put("enableTLS", "true");
                    }
                }
                metadata.put("stream", source);
                metadata.put("consumerGroup", BindingSupport.groupName(c.string("consumer_group"), w.id(), explicitGroup));
                // the group's lag (entries not yet delivered to it), not its pending entries: Caravan
                // bounds what it holds pending, so the backlog shows as lag
                metadata.put("lagCount", target);
                reference(c, "password").ifPresent(v -> auth.put("password", v));
                if (c.get("username") != null) {
                    metadata.put("username", c.string("username"));
                }
            }
            default -> {
                warnings.add(w.id() + ": KEDA has no trigger for queue type " + t.queueType());
                return Optional.empty();
            }
        }
        Map<String, Object> trigger = new LinkedHashMap<>();
        trigger.put("type", type);
        trigger.put("name", kubernetesName(w.id()));
        trigger.put("metadata", metadata);
        if (!auth.isEmpty()) {
            String name = NAME + "-" + kubernetesName(c.id());
            authentications.computeIfAbsent(name, n -> object("keda.sh/v1alpha1", "TriggerAuthentication", n, map("spec", map(
                    "env", auth.entrySet().stream().map(e -> (Object) map("parameter", e.getKey(), "name", e.getValue(),
                            "containerName", NAME)).toList()))));
            trigger.put("authenticationRef", map("name", name));
        }
        return Optional.of(trigger);
    }

    /** scale.target, else max_depth, else the default. */
    static long target(WorkflowNode t) {
        if (t.config().get(NodeSpecs.Receive.SCALE.name()) instanceof Map<?, ?> scale
                && scale.get(NodeSpecs.Receive.SCALE_TARGET.name()) instanceof Number n) {
            return n.longValue();
        }
        return t.config().optionalNumber(NodeSpecs.Receive.MAX_DEPTH).orElse((long) NodeSpecs.Receive.DEFAULT_SCALE_TARGET);
    }

    /** The environment variable a secret field names (${NAME}), which KEDA reads from the pod; a written-out secret stays out. */
    private Optional<String> reference(Credential c, String field) {
        Object value = c.get(field);
        if (value == null) {
            return Optional.empty();
        }
        Matcher m = CredentialStore.ENV.matcher(String.valueOf(value));
        if (m.matches()) {
            return Optional.of(m.group(1));
        }
        warnings.add("credential " + c.id() + "'s " + field + " is written in the credentials file, not"
                + " ${NAME}: KEDA cannot read it from the pod, so the triggers on " + c.id() + " go without it");
        return Optional.empty();
    }

    private String literal(Credential c, String field) {
        String value = c.string(field);
        if (value.contains("${")) {
            warnings.add("credential " + c.id() + "'s " + field + " names an environment variable; KEDA needs it written out");
        }
        return value;
    }

    // ---- helpers

    private Manifest object(String apiVersion, String kind, String name, Map<String, Object> rest) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("apiVersion", apiVersion);
        body.put("kind", kind);
        Map<String, Object> metadata = withNamespace(map("name", name));
        metadata.put("labels", map("app.kubernetes.io/name", NAME, "app.kubernetes.io/managed-by", "caravan-deploy"));
        body.put("metadata", metadata);
        body.putAll(rest);
        return new Manifest(kind, name, body);
    }

    private Map<String, Object> withNamespace(Map<String, Object> m) {
        if (options.namespace() != null) {
            m.put("namespace", options.namespace());
        }
        return m;
    }

    private static Map<String, Object> selector() {
        return map("app.kubernetes.io/name", NAME, "app.kubernetes.io/component", "hub");
    }

    /** Lower case, '-' for what a DNS label cannot hold. */
    static String kubernetesName(String id) {
        String name = id.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("^-+|-+$", "");
        return name.isEmpty() ? "x" : name;
    }

    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
