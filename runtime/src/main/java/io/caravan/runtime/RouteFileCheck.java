package io.caravan.runtime;

import io.caravan.source.Diagnostic;
import io.caravan.source.InvalidFileException;
import io.caravan.source.Location;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceList;
import io.caravan.source.SourceMap;
import io.caravan.source.SourceNode;
import io.caravan.source.SourceParser;
import io.caravan.source.SourceScalar;
import io.caravan.workflow.Workflow;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.catalog.EndpointValidationResult;

/**
 * {@code caravan validate} for hand-written route files ({@code *.camel.yaml}): what Camel would
 * only find at start, found before it, each at FILE:LINE:COL and all at once.
 *
 * <ul>
 *   <li>YAML syntax;</li>
 *   <li>the Camel YAML DSL's own JSON Schema (unknown EIP keys, misplaced steps), {@link RouteSchema};</li>
 *   <li>every endpoint URI against Camel's catalog: a component that is not in Caravan, an
 *       unknown option (with Camel's suggestion), a value of the wrong type or not in the enum;</li>
 *   <li>kamelets that do not exist, or lack a required parameter;</li>
 *   <li>property placeholders ({@code {{key}}}) with no value and no default;</li>
 *   <li>route ids used twice, across route files and workflows.</li>
 * </ul>
 */
public final class RouteFileCheck {

    /** Keys whose value is an endpoint: a URI string, or a map with {@code uri} and {@code parameters}. */
    private static final Set<String> ENDPOINT_KEYS = Set.of("from", "to", "toD", "wireTap", "interceptSendToEndpoint");
    /** Parts of a route file where {@code {{name}}} is a template parameter, not a property. */
    private static final Set<String> TEMPLATES = Set.of("routeTemplate", "templatedRoute");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([^{}]+)}}");
    /** Camel's property functions (PropertiesComponent, 4.17): {{env:NAME}}, {{sys:name}}, ... */
    private static final Set<String> FUNCTIONS = Set.of("env", "sys", "bean", "ref", "service", "service.host",
            "service.port", "base64", "file", "kubernetes", "configmap", "secret", "vault", "aws", "azure", "gcp",
            "hashicorp", "ibm", "cyberark", "spring-config");
    private static final Pattern DURATION = Pattern.compile("\\d+(ms|s|m|h|d)(\\d+(ms|s|m))*");

    private static final String SHAPE = "a Camel YAML route file is a list (- route: ..., - from: ..., - rest: ...), got ";

    /**
     * Why a parsed file cannot be a route file Camel reads: YAML that is not a list, unless it is a
     * Camel K resource (a map with {@code kind}); empty when it can (an empty file included).
     */
    static java.util.Optional<String> wrongShape(SourceNode root) {
        if (root == null || root instanceof SourceList || (root instanceof SourceScalar s && s.value() == null)
                || (root instanceof SourceMap map && map.get("kind").isPresent())) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(SHAPE + root.kindName());
    }

    private final Properties properties;
    private final Map<String, String> env;
    private final List<Path> kameletDirs;
    private final Set<String> addedArtifacts;
    private final RouteSchema schema;
    /** Kamelet definitions by name, as read (a null value: there is none). */
    private final Map<String, SourceNode> kamelets = new java.util.HashMap<>();
    private final boolean auto;
    private Path homeKamelets;
    private final ClassLoader classes;

    /**
     * @param properties     the settings a run would have (placeholders resolve against them)
     * @param env            the environment ({@code {{env:NAME}}}, and Camel's ENV_NAME overrides)
     * @param kameletDirs    folders of {@code *.kamelet.yaml} besides the Apache Camel catalog
     * @param addedArtifacts GROUP:ARTIFACT added with --dep or caravan.dependencies: their
     *                       components count as present
     * @param lib            the lib/ folder: the components in its jars count as present
     */
    public RouteFileCheck(Properties properties, Map<String, String> env, List<Path> kameletDirs, Set<String> addedArtifacts,
                          Path lib) {
        this.properties = properties;
        this.auto = Boolean.parseBoolean(properties.getProperty("caravan.dependencies.auto", "false"));
        this.classes = libLoader(lib);
        this.env = env;
        this.kameletDirs = kameletDirs;
        this.addedArtifacts = addedArtifacts;
        this.schema = RouteSchema.load();
    }

    /** The check as a run with these options would see the files: its settings, kamelets and --dep artifacts. */
    public static RouteFileCheck forRun(RuntimeOptions options, Sources sources) {
        Properties settings = CaravanRuntime.userProperties(options, sources);
        Properties mapped = new Properties();
        mapped.putAll(settings);
        CamelJBangSettings.apply(settings, mapped);
        List<Path> kamelets = new ArrayList<>(sources.kameletDirs());
        // the home's kamelets/, which `caravan run` loads with routes/ (validate routes/ alone too)
        Path homeKamelets = options.home().resolve("kamelets");
        if (Files.isDirectory(homeKamelets) && kamelets.stream().noneMatch(k -> sameFile(k, homeKamelets))) {
            kamelets.add(homeKamelets);
        }
        kamelets.addAll(CaravanRuntime.settingKameletDirs(mapped));
        Set<String> added = new LinkedHashSet<>();
        for (String dep : mapped.getProperty("caravan.dependencies", "").split(",")) {
            String[] gav = Dependencies.coordinates(dep.strip());
            if (gav != null) {
                added.add(gav[0] + ":" + gav[1]);
            }
        }
        RouteFileCheck check = new RouteFileCheck(mapped, options.env(), kamelets, added, Dependencies.libDir(options, mapped));
        check.homeKamelets = homeKamelets;
        return check;
    }

    private static boolean sameFile(Path a, Path b) {
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /** Every problem of these route files, with the route ids the workflows already take. */
    public List<Diagnostic> check(List<Path> files, List<Workflow> workflows) {
        List<Diagnostic> problems = new ArrayList<>();
        for (Path file : files) {
            problems.addAll(check(file));
        }
        problems.addAll(RouteIds.clashes(files, workflows));
        problems.sort(java.util.Comparator.comparing(Diagnostic::file).thenComparingInt(Diagnostic::line)
                .thenComparingInt(Diagnostic::column));
        return problems;
    }

    List<Diagnostic> check(Path file) {
        String name = file.toString();
        ParsedFile parsed;
        try {
            parsed = SourceParser.parse(file, name, true);
        } catch (InvalidFileException e) {
            return e.diagnostics();
        }
        List<Diagnostic> problems = new ArrayList<>();
        java.util.Optional<String> shape = wrongShape(parsed.root());
        if (shape.isPresent()) {
            problems.add(Diagnostic.at(name, parsed.root().location(), shape.get()));
            return problems;
        }
        if (!(parsed.root() instanceof SourceList)) {
            return problems; // empty, or a Camel K Integration, Pipe or KameletBinding: the schema is for lists
        }
        problems.addAll(schema.check(name, parsed.root()));
        walk(name, parsed.root(), false, problems);
        return problems;
    }

    private void walk(String file, SourceNode node, boolean inTemplate, List<Diagnostic> problems) {
        if (node instanceof SourceMap map) {
            for (SourceMap.Entry e : map.entries()) {
                boolean template = inTemplate || TEMPLATES.contains(e.key());
                if (!template && ENDPOINT_KEYS.contains(e.key())) {
                    endpoint(file, e, problems);
                }
                if (!template && e.key().equals("kamelet") && e.value() instanceof SourceMap k) {
                    // the kamelet EIP: - kamelet: {name: x, parameters: {...}}
                    if (k.get("name").orElse(null) instanceof SourceScalar n && n.value() != null) {
                        problems.addAll(kamelet(file, n.location(), n.value().toString(), parameters(k)));
                    }
                }
                walk(file, e.value(), template, problems);
            }
        } else if (node instanceof SourceList list) {
            list.items().forEach(item -> walk(file, item, inTemplate, problems));
        } else if (node instanceof SourceScalar s && s.value() instanceof String text && !inTemplate) {
            placeholders(file, s.location(), text, problems);
        }
    }

    private void endpoint(String file, SourceMap.Entry entry, List<Diagnostic> problems) {
        String uri;
        Location where;
        Map<String, String> parameters = new LinkedHashMap<>();
        if (entry.value() instanceof SourceScalar s && s.value() != null) {
            uri = s.value().toString();
            where = s.location();
        } else if (entry.value() instanceof SourceMap m && m.get("uri").orElse(null) instanceof SourceScalar s
                && s.value() != null) {
            uri = s.value().toString();
            where = s.location();
            parameters.putAll(parameters(m));
        } else {
            return;
        }
        if (uri.contains("${") || uri.startsWith("{{")) {
            return; // a dynamic (toD) or placeholder endpoint: known only at run time
        }
        int colon = uri.indexOf(':');
        String scheme = colon < 0 ? uri : uri.substring(0, colon);
        if (scheme.equals("kamelet")) {
            problems.addAll(kamelet(file, where, uri.substring(colon + 1), parameters));
            return;
        }
        if (uri.contains("?") && !parameters.isEmpty()) {
            // Camel 4.17 refuses this at start: "Uri should not contains query parameters"
            problems.add(Diagnostic.at(file, where, "endpoint '" + uri + "': give the options either in the uri (after ?)"
                    + " or under parameters, not both"));
            return;
        }
        String full = uri;
        if (!parameters.isEmpty()) {
            Map<String, String> safe = new LinkedHashMap<>();
            // values the catalog cannot take apart (RAW(...), & or ? inside) are checked as placeholders
            parameters.forEach((k, v) -> safe.put(k, v.contains("RAW(") || v.contains("&") || v.contains("?") ? "{{v}}" : v));
            try {
                full = colon < 0 ? MissingComponents.catalog().asEndpointUri(scheme, safe, false) : null;
            } catch (java.net.URISyntaxException | RuntimeException e) {
                full = null;
            }
            if (full == null) {
                StringBuilder q = new StringBuilder(uri).append('?');
                safe.forEach((k, v) -> q.append(k).append('=').append(v).append('&'));
                full = q.substring(0, q.length() - 1);
            }
        }
        // {{env:TOPIC}} in the path would read as an empty (missing) path option
        int query = full.indexOf('?');
        String pathPart = query < 0 ? full : full.substring(0, query);
        full = PLACEHOLDER.matcher(pathPart).replaceAll("placeholder") + (query < 0 ? "" : full.substring(query));
        boolean consumer = entry.key().equals("from");
        EndpointValidationResult r = MissingComponents.catalog().validateEndpointProperties(full, false, consumer, !consumer);
        if (r.getUnknownComponent() != null || !onClassPath(scheme)) {
            // present once a run has added it: --dep, caravan.dependencies, or fetched on demand
            boolean added = MissingComponents.artifact(scheme).map(a -> auto || addedArtifacts.contains(a)).orElse(false);
            if (!added) {
                problems.add(Diagnostic.at(file, where, MissingComponents.advice(scheme)));
            }
            return;
        }
        if (r.getSyntaxError() != null) {
            problems.add(Diagnostic.at(file, where, "endpoint '" + uri + "': " + r.getSyntaxError()));
        }
        for (Object o : r.getUnknown() == null ? Set.of() : r.getUnknown()) {
            String option = o.toString();
            Object suggestions = r.getUnknownSuggestions() == null ? null : r.getUnknownSuggestions().get(option);
            String hint = suggestions instanceof String[] s && s.length > 0 ? " (did you mean " + String.join(" or ", s) + "?)" : "";
            problems.add(Diagnostic.at(file, where, "endpoint '" + scheme + "': unknown option '" + option + "'" + hint));
        }
        for (Object o : r.getRequired() == null ? Set.of() : r.getRequired()) {
            problems.add(Diagnostic.at(file, where, "endpoint '" + scheme + "': the option '" + o + "' is required"));
        }
        invalid(file, where, scheme, "an enum value", r.getInvalidEnum(), r, problems);
        invalid(file, where, scheme, "a boolean (true or false)", r.getInvalidBoolean(), r, problems);
        invalid(file, where, scheme, "an integer", r.getInvalidInteger(), r, problems);
        invalid(file, where, scheme, "a number", r.getInvalidNumber(), r, problems);
        invalid(file, where, scheme, "a duration", r.getInvalidDuration(), r, problems);
        if (r.getInvalidReference() != null) {
            r.getInvalidReference().entrySet().removeIf(e -> String.valueOf(e.getValue()).contains("{{"));
        }
        invalid(file, where, scheme, "a bean reference (#name)", r.getInvalidReference(), r, problems);
        for (Object o : r.getNotConsumerOnly() == null ? Set.of() : r.getNotConsumerOnly()) {
            problems.add(Diagnostic.at(file, where, "endpoint '" + scheme + "': the option '" + o + "' is for sending (to), not for from"));
        }
        for (Object o : r.getNotProducerOnly() == null ? Set.of() : r.getNotProducerOnly()) {
            problems.add(Diagnostic.at(file, where, "endpoint '" + scheme + "': the option '" + o + "' is for consuming (from), not for to"));
        }
    }

    private static void invalid(String file, Location where, String scheme, String kind, Map<?, ?> values,
                                EndpointValidationResult r, List<Diagnostic> problems) {
        if (values == null) {
            return;
        }
        values.forEach((option, value) -> {
            if (kind.equals("an integer") && DURATION.matcher(String.valueOf(value)).matches()) {
                return; // Camel turns 5s into 5000 for a long option, which the catalog does not know
            }
            String choices = kind.equals("an enum value") && r.getEnumChoices(option.toString()) != null
                    ? " one of " + r.getEnumChoices(option.toString()) : " " + kind;
            problems.add(Diagnostic.at(file, where, "endpoint '" + scheme + "': option '" + option + "' is '" + value
                    + "', which is not" + choices));
        });
    }

    private boolean onClassPath(String scheme) {
        return classes.getResource("META-INF/services/org/apache/camel/component/" + scheme) != null;
    }

    /** Caravan's class path, and lib/'s jars when there are any. */
    private static ClassLoader libLoader(Path lib) {
        ClassLoader parent = RouteFileCheck.class.getClassLoader();
        if (lib == null || !Files.isDirectory(lib)) {
            return parent;
        }
        try (java.util.stream.Stream<Path> files = Files.list(lib)) {
            java.net.URL[] urls = files.filter(f -> f.toString().endsWith(".jar")).map(f -> {
                try {
                    return f.toUri().toURL();
                } catch (java.net.MalformedURLException e) {
                    throw new IllegalStateException(e);
                }
            }).toArray(java.net.URL[]::new);
            return urls.length == 0 ? parent : new java.net.URLClassLoader(urls, parent);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Map<String, String> parameters(SourceMap m) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (m.get("parameters").orElse(null) instanceof SourceMap p) {
            for (SourceMap.Entry e : p.entries()) {
                if (e.value() instanceof SourceScalar v) {
                    parameters.put(e.key(), v.value() == null ? "" : v.value().toString());
                }
            }
        }
        return parameters;
    }

    /** A kamelet that exists and gets every parameter its definition requires without a default. */
    private List<Diagnostic> kamelet(String file, Location where, String reference, Map<String, String> given) {
        String name = reference;
        Map<String, String> params = new LinkedHashMap<>(given);
        int q = name.indexOf('?');
        if (q >= 0) {
            for (String pair : name.substring(q + 1).split("&")) {
                int eq = pair.indexOf('=');
                params.put(eq < 0 ? pair : pair.substring(0, eq), eq < 0 ? "" : pair.substring(eq + 1));
            }
            name = name.substring(0, q);
        }
        int slash = name.indexOf('/');
        String routeId = slash < 0 ? null : name.substring(slash + 1);
        name = slash < 0 ? name : name.substring(0, slash);
        if (name.equals("source") || name.equals("sink")) {
            return List.of(); // inside a kamelet's own template
        }
        SourceNode definition = kameletDefinition(name);
        if (definition == null) {
            return List.of(Diagnostic.at(file, where, "kamelet '" + name + "' does not exist: no " + name + ".kamelet.yaml in "
                    + (kameletDirs.isEmpty() ? "" : String.join(", ", kameletDirs.stream().map(this::describeDir).toList()) + " nor in ")
                    + "the Apache Camel kamelet catalog"));
        }
        List<String> missing = new ArrayList<>();
        for (String required : required(definition)) {
            String envName = ("CAMEL_KAMELET_" + name + "_" + required).toUpperCase(java.util.Locale.ROOT).replaceAll("[.-]", "_");
            boolean set = params.containsKey(required) || properties.containsKey("camel.kamelet." + name + "." + required)
                    || env.containsKey(envName)
                    || (routeId != null && properties.containsKey("camel.kamelet." + name + "." + routeId + "." + required));
            if (!set) {
                missing.add(required);
            }
        }
        if (missing.isEmpty()) {
            return List.of();
        }
        return List.of(Diagnostic.at(file, where, "kamelet '" + name + "' needs " + String.join(", ", missing)
                + " (required by its definition, without a default): give " + (missing.size() == 1 ? "it" : "them")
                + " as parameters or as camel.kamelet." + name + "." + missing.get(0) + " in application.properties"));
    }

    private String describeDir(Path dir) {
        Path cwd = Path.of("").toAbsolutePath();
        Path shown = dir.isAbsolute() && dir.startsWith(cwd) ? cwd.relativize(dir) : dir;
        return dir.equals(homeKamelets) ? shown + " (the home's)" : shown.toString();
    }

    /** The kamelet's definition, read once per check; null when there is none. */
    private SourceNode kameletDefinition(String name) {
        return kamelets.computeIfAbsent(name, n -> readKamelet(n).orElse(null));
    }

    private java.util.Optional<SourceNode> readKamelet(String name) {
        String fileName = name + ".kamelet.yaml";
        for (Path dir : kameletDirs) {
            Path f = dir.resolve(fileName);
            if (Files.isRegularFile(f)) {
                return java.util.Optional.ofNullable(SourceParser.parse(f, f.toString(), true).root());
            }
        }
        try (InputStream in = RouteFileCheck.class.getClassLoader().getResourceAsStream("kamelets/" + fileName)) {
            return in == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(
                    SourceParser.parse(in.readAllBytes(), SourceParser.Format.YAML, fileName, true).root());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** spec.definition.required, less the properties that have a default. */
    private static List<String> required(SourceNode kamelet) {
        SourceNode definition = at(kamelet, "spec", "definition");
        List<String> required = new ArrayList<>();
        if (definition instanceof SourceMap d && d.get("required").orElse(null) instanceof SourceList list) {
            for (SourceNode item : list.items()) {
                if (item instanceof SourceScalar s && s.value() != null) {
                    String p = s.value().toString();
                    if (!(at(definition, "properties", p) instanceof SourceMap prop && prop.get("default").isPresent())) {
                        required.add(p);
                    }
                }
            }
        }
        return required;
    }

    private static SourceNode at(SourceNode node, String... keys) {
        for (String key : keys) {
            if (!(node instanceof SourceMap m)) {
                return null;
            }
            node = m.get(key).orElse(null);
        }
        return node;
    }

    private void placeholders(String file, Location where, String text, List<Diagnostic> problems) {
        Set<String> reported = new LinkedHashSet<>();
        Matcher m = PLACEHOLDER.matcher(text);
        while (m.find()) {
            String inside = m.group(1).strip();
            if (inside.startsWith("?") || !reported.add(inside)) {
                continue; // {{?key}}: optional, Camel leaves the option out
            }
            int colon = inside.indexOf(':');
            String prefix = colon < 0 ? null : inside.substring(0, colon);
            if (prefix != null && FUNCTIONS.contains(prefix)) {
                String rest = inside.substring(colon + 1);
                if (prefix.equals("env") && !rest.contains(":") && !env.containsKey(rest)) {
                    problems.add(Diagnostic.at(file, where, "placeholder {{" + inside + "}}: the environment variable " + rest
                            + " is not set and there is no default ({{env:" + rest + ":value}})"));
                }
                continue;
            }
            if (prefix != null) {
                continue; // {{key:default}}
            }
            if (!resolves(inside)) {
                problems.add(Diagnostic.at(file, where, "placeholder {{" + inside + "}} has no value: set " + inside
                        + " in the application.properties beside the route or in config/application.properties,"
                        + " or give a default as {{" + inside + ":value}}"));
            }
        }
    }

    /** As Camel's properties component looks: settings, system properties, then ENV_NAME. */
    private boolean resolves(String key) {
        if (properties.containsKey(key) || System.getProperty(key) != null) {
            return true;
        }
        String envName = key.toUpperCase(java.util.Locale.ROOT).replaceAll("[.-]", "_");
        return env.containsKey(envName);
    }
}
