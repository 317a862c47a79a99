package io.caravan.cli;

import io.caravan.compile.CompiledWorkflow;
import io.caravan.compile.WorkflowCompiler;
import io.caravan.compile.YamlPrinter;
import io.caravan.credential.CredentialStore;
import io.caravan.reference.Reference;
import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.Provisioning;
import io.caravan.runtime.RouteFileCheck;
import io.caravan.runtime.RuntimeOptions;
import io.caravan.runtime.Sources;
import io.caravan.runtime.WorkflowSet;
import io.caravan.source.Diagnostic;
import io.caravan.workflow.Workflow;
import io.caravan.source.InvalidFileException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.caravan.CaravanException;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;

/**
 * The {@code caravan} command: {@code run}, {@code dev}, {@code validate} and {@code compile}.
 * Exit codes: 0 success, 1 invalid workflows or a failed start, 2 a usage error.
 */
public final class Caravan {

    static final String USAGE = """
            usage: caravan <command> [options] [PATH...]

            commands:
              run       run workflows, routes and kamelets (default: workflows/ routes/ kamelets/)
              dev       like run, after starting in-process Kafka, SQS and (if none answers) AMQP brokers
              validate  check workflow and route files and folders; every problem as
                        FILE:LINE:COL: error: ...
              compile   print the Camel YAML routes workflow files (or directories) compile to
              test      run the *.test.yaml files in the folders given (default: workflows/): each
                        case runs its workflow's compiled routes with every broker, http call
                        and called workflow stubbed, and checks what it sent and gave
              dlq       list, show and redrive dead letters through a running Caravan's console API:
                        dlq list | dlq show QUEUE_TYPE DEST | dlq redrive QUEUE_TYPE DEST (--all | ID...)
              reference print the reference of every node type, broker, credential and setting
                        (Markdown, as docs/reference.md)
              schema    print the JSON Schema of workflow files (schema/workflow.schema.json);
                        schema credentials: of the credentials file
              deploy kubernetes
                        print (or write under --out DIR) the Kubernetes manifests that run the
                        workflows (default: workflows/ routes/) scaled by KEDA on their queues

            options:
              --credentials FILE   credentials file (default: config/credentials.yaml)
              --port N             HTTP port for webhooks and platform-http routes (default 8080)
              --watch              (run) swap in changed workflows and routes without a restart;
                                   dev does this by default
              --strict             (run, dev) every route file must start, or nothing runs; without
                                   it a route that cannot start is reported and the rest run
              --dep GROUP:ARTIFACT[:VERSION]
                                   (run, dev) add a Maven artifact and its dependencies at start,
                                   e.g. --dep camel-mock (version: Caravan's Camel); repeatable
              -D name=value        set a property, as in config/application.properties
              --namespace N        (deploy) the namespace of every object (default: kubectl's)
              --out DIR            (deploy) one file per object under DIR instead of printing
              --image IMAGE        (deploy) the image built from the Dockerfile (default caravan:latest)
              --min-replicas N, --max-replicas N
                                   (deploy) KEDA's bounds (default 1 and 10)
              --url URL            (dlq) the Caravan to ask (default http://127.0.0.1:<caravan.management.port>)
              --credential-id ID   (dlq) the destination's credential, when several share its name
              --all, --max N       (dlq) redrive every message / at most N (show: N messages, default 20)
              --to QUEUE_TYPE:ADDRESS
                                   (dlq redrive) where to (default: the source of the workflow that
                                   dead-lettered there)
            """;

    private final PrintStream out;
    private final PrintStream err;
    private final Path home;

    Caravan(PrintStream out, PrintStream err, Path home) {
        this.out = out;
        this.err = err;
        this.home = home;
    }

    public static void main(String[] args) {
        Path home = Path.of(System.getProperty("caravan.home", ".")).toAbsolutePath().normalize();
        int code = new Caravan(System.out, System.err, home).execute(args);
        if (code != 0 || (args.length > 0 && List.of("validate", "compile", "reference", "schema", "test", "dlq").contains(args[0]))) {
            System.exit(code);
        }
    }

    int execute(String[] args) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            out.print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        Args parsed;
        try {
            parsed = Args.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("caravan: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        try {
            return switch (parsed.command) {
                case "validate" -> validate(parsed);
                case "compile" -> compile(parsed);
                case "reference" -> {
                    out.print(Reference.markdown());
                    yield 0;
                }
                case "schema" -> schema(parsed);
                case "test" -> test(parsed);
                case "dlq" -> dlq(parsed);
                case "deploy" -> deploy(parsed);
                case "run" -> run(parsed, false);
                case "dev" -> run(parsed, true);
                default -> {
                    err.println("caravan: unknown command '" + parsed.command + "'; commands: run, dev, validate, compile, test, dlq, reference, schema, deploy");
                    yield 2;
                }
            };
        } catch (InvalidFileException e) {
            e.diagnostics().forEach(d -> err.println(d.format()));
            err.println(summary(e.diagnostics()));
            return 1;
        } catch (Exception e) {
            err.println("caravan: " + e.getMessage());
            return 1;
        }
    }

    /**
     * {@code test [PATH...]}: the workflow unit tests. Credentials are read with their ${NAME}s
     * kept as written: nothing connects, so the variables need not be set.
     */
    private int test(Args args) throws Exception {
        List<Path> paths = args.paths.isEmpty() ? List.of(home.resolve("workflows")) : args.paths;
        RuntimeOptions options = options(args);
        CredentialStore credentials = unresolvedCredentials(options);
        // the runs' own log lines (Camel starting, a workflow's log nodes, failures a case expects) are not the report
        org.apache.logging.log4j.core.config.Configurator.setAllLevels(org.apache.logging.log4j.LogManager.ROOT_LOGGER_NAME,
                org.apache.logging.log4j.Level.OFF);
        return new io.caravan.workflowtest.WorkflowTests(out, credentials).run(paths);
    }

    /**
     * The credentials file read with every ${NAME} kept as written, for commands that connect to
     * nothing and so need no variable set (test, deploy); empty when there is no file.
     */
    private static CredentialStore unresolvedCredentials(RuntimeOptions options) {
        return Files.exists(options.credentialsFile())
                ? CredentialStore.load(options.credentialsFile(), options.credentialsFile().toString(),
                        WorkflowSet.credentialSpecs(), io.caravan.deploy.KubernetesManifests.keepReferences())
                : CredentialStore.empty();
    }

    /** {@code dlq list|show|redrive}: through the console API of the Caravan on the management port. */
    private int dlq(Args args) throws Exception {
        String url = args.url;
        if (url == null) {
            java.util.Properties p = CaravanRuntime.userProperties(options(args), Sources.of(List.of(), false));
            url = "http://127.0.0.1:" + p.getProperty("caravan.management.port", "9876");
        }
        return new DlqCommand(out, err, url).run(args.paths.stream().map(Path::toString).toList(), args.credentialId, args.all,
                args.max, args.to);
    }

    /** {@code schema [workflow|credentials]}: the JSON Schema an editor checks files with. */
    private int schema(Args args) {
        String which = args.paths.isEmpty() ? "workflow" : args.paths.get(0).toString();
        switch (which) {
            case "workflow" -> out.print(io.caravan.schema.JsonSchemas.workflowText());
            case "credentials" -> out.print(io.caravan.schema.JsonSchemas.credentialsText());
            default -> {
                err.println("caravan schema: unknown schema '" + which + "'; give workflow (the default) or credentials");
                return 2;
            }
        }
        return 0;
    }

    /** How long validate waits for a broker to answer before it skips asking it. */
    private static final java.time.Duration PROBE_TIMEOUT = java.time.Duration.ofSeconds(3);

    private int validate(Args args) {
        if (args.paths.isEmpty()) {
            err.println("caravan validate: give at least one workflow file or folder");
            return 2;
        }
        RuntimeOptions options = options(args);
        CredentialStore credentials = WorkflowSet.loadCredentials(options);
        // route files and kamelets by name go to the route check; folders give both kinds
        Sources sources = Sources.of(args.paths, false);
        List<Path> workflowPaths = args.paths.stream().filter(p -> Files.isDirectory(p) || !Sources.isCamelFile(p)).toList();
        List<Diagnostic> problems = new ArrayList<>();
        List<Workflow> workflows = List.of();
        try {
            workflows = WorkflowSet.load(workflowPaths, credentials);
            problems.addAll(CaravanRuntime.sharedSources(workflows));
            problems.addAll(io.caravan.workflow.CallGraph.problems(workflows));
            problems.addAll(WorkflowSet.probe(workflows, credentials, PROBE_TIMEOUT));
        } catch (InvalidFileException e) {
            problems.addAll(e.diagnostics());
        }
        RouteFileCheck routeCheck = RouteFileCheck.forRun(options, sources);
        problems.addAll(routeCheck.check(sources.routes(), workflows));
        if (!problems.isEmpty()) {
            throw new InvalidFileException(problems);
        }
        out.println(workflows.size() + " workflow" + (workflows.size() == 1 ? "" : "s") + " valid: "
                + String.join(", ", workflows.stream().map(Workflow::id).toList()));
        for (Workflow w : workflows) {
            var idempotency = w.trigger().idempotency();
            if (idempotency != null && io.caravan.idempotency.IdempotencyStores.MEMORY.equals(idempotency.store())) {
                out.println("note: " + w.id() + ": idempotency store memory is per instance: several instances running it"
                        + " do not see each other's keys (use redis or jdbc)");
            }
        }
        if (!sources.routes().isEmpty()) {
            out.println(sources.routes().size() + " route file" + (sources.routes().size() == 1 ? "" : "s") + " valid: "
                    + String.join(", ", sources.routes().stream().map(Path::toString).toList()));
        }
        return 0;
    }

    private int compile(Args args) throws Exception {
        if (args.paths.isEmpty()) {
            err.println("caravan compile: give the workflow files or directories to compile");
            return 2;
        }
        RuntimeOptions options = options(args);
        CredentialStore credentials = WorkflowSet.loadCredentials(options);
        List<Workflow> workflows = WorkflowSet.load(args.paths, credentials);
        // a workflow another one calls gets its call entry too, as when they run together
        WorkflowCompiler compiler = WorkflowCompiler.standard()
                .calledBy(io.caravan.workflow.CallGraph.calledIds(workflows)::contains);
        List<CompiledWorkflow> compiled = workflows.stream().map(compiler::compile).toList();
        out.print(YamlPrinter.print(compiled));
        return 0;
    }

    /**
     * {@code deploy kubernetes}: validates the workflows, then prints the manifests (or writes one
     * file per object under --out); what the user must still do goes to stderr.
     */
    private int deploy(Args args) throws Exception {
        if (args.paths.isEmpty() || !args.paths.get(0).toString().equals("kubernetes")) {
            err.println("caravan deploy: say where: caravan deploy kubernetes [options] [PATH...]");
            return 2;
        }
        List<Path> paths = args.paths.subList(1, args.paths.size());
        Sources sources = paths.isEmpty() ? Sources.ofHome(home) : Sources.of(paths, false);
        RuntimeOptions options = options(args);
        // the credentials read with every ${NAME} kept as written: the manifests name the variables,
        // never their values, and the variables need not be set here; the workflows are validated
        // against them as run would
        CredentialStore references = unresolvedCredentials(options);
        List<Workflow> workflows = WorkflowSet.load(sources.workflows(), references);
        var result = io.caravan.deploy.KubernetesManifests.generate(workflows, sources.workflows(), sources.routes(), references,
                new io.caravan.deploy.KubernetesManifests.Options(args.namespace, args.image,
                        args.minReplicas, args.maxReplicas));
        if (args.out == null) {
            out.print(result.yaml());
        } else {
            Files.createDirectories(args.out);
            for (var m : result.manifests()) {
                Files.writeString(args.out.resolve(m.fileName()), new io.caravan.deploy.KubernetesManifests.Result(
                        List.of(m), List.of()).yaml());
            }
            out.println(result.manifests().size() + " manifests written to " + args.out);
        }
        result.warnings().forEach(w -> err.println("caravan deploy: " + w));
        return 0;
    }

    private int run(Args args, boolean dev) throws Exception {
        long started = System.nanoTime();
        if (dev) {
            // dev mode follows edits unless told otherwise, and listens on this machine only
            args.properties.putIfAbsent("caravan.watch", "true");
            args.properties.putIfAbsent("caravan.http.host", "127.0.0.1");
            // a component a route names and Caravan lacks is fetched, as camel run does
            args.properties.putIfAbsent("caravan.dependencies.auto", "true");
        }
        RuntimeOptions options = options(args);
        // validate and compile first: a broken workflow should not wait for brokers to start
        CaravanRuntime runtime = CaravanRuntime.create(options);
        DevEnvironment brokers = null;
        if (dev) {
            brokers = devEnvironment();
            brokers.start().forEach(line -> out.println("[dev] " + line));
        }
        try {
            if (brokers != null) {
                // what an operator makes before a deploy: queues, topics and streams the workflows name
                Provisioning.provision(runtime.workflows().stream().map(CompiledWorkflow::workflow).toList(),
                        WorkflowSet.loadCredentials(options)).forEach(line -> out.println("[dev] provisioned " + line));
            }
            runtime.addListener(new MainListenerSupport() {
                @Override
                public void afterStart(BaseMainSupport main) {
                    banner(runtime, started);
                }
            });
            try {
                runtime.run();
            } catch (Exception e) {
                Optional<CaravanException> known = runtime.explainStartFailure(e);
                if (known.isEmpty()) {
                    throw e;
                }
                CaravanException ce = known.get();
                err.println("caravan: workflow could not start: " + ce.code() + " in node '" + ce.node() + "': "
                        + ce.getMessage());
                return 1;
            }
            return 0;
        } finally {
            if (brokers != null) {
                brokers.close();
            }
        }
    }

    /** The in-process brokers of the caravan-dev module, which bin/caravan dev puts on the class path. */
    private static DevEnvironment devEnvironment() {
        return java.util.ServiceLoader.load(DevEnvironment.class).findFirst().orElseThrow(() -> new IllegalStateException(
                "dev needs the caravan-dev module (its in-process brokers) on the class path: run bin/caravan dev"));
    }

    private void banner(CaravanRuntime runtime, long started) {
        long ms = (System.nanoTime() - started) / 1_000_000;
        out.println();
        out.println("Caravan started in " + ms + " ms");
        out.println("  HTTP (webhooks, platform-http routes): http://127.0.0.1:" + runtime.httpPort());
        out.println("  workflows:");
        runtime.describe().forEach(line -> out.println("    " + line));
        out.println("  routes:   " + runtime.sources().routes());
        if (runtime.workflows().stream().anyMatch(cw -> cw.workflow().trigger().type() == io.caravan.workflow.NodeType.SCHEDULE)) {
            out.println("  schedules: fired by one instance (" + runtime.cluster().describe() + "; this is "
                    + runtime.cluster().instance() + ")");
        }
        runtime.failedRoutes().forEach(f -> out.println("    NOT STARTED: " + f.describe()));
        if (!runtime.addedDependencies().isEmpty()) {
            out.println("  added:    " + String.join(", ", runtime.addedDependencies()));
        }
        runtime.unresolvedDependencies().forEach(d -> out.println("  NOT RESOLVED: " + d));
        runtime.settingsWarnings().forEach(w -> out.println("  setting ignored: " + w));
        out.println("  kamelets: " + runtime.sources().kameletDirs());
        out.println("  JMX:      domain org.apache.camel (jconsole, or Jolokia when enabled)");
        if (Boolean.parseBoolean(runtime.property("caravan.watch"))) {
            out.println("  watching workflows and routes for changes");
        }
        out.println("  metrics:  http://127.0.0.1:" + runtime.managementPort() + "/metrics  (health: /health, /ready)");
        out.println("  console:  http://127.0.0.1:" + runtime.managementPort() + "/console  (dead letters: bin/caravan dlq list)");
        out.println("Stop with Ctrl-C.");
        out.flush();
    }

    private RuntimeOptions options(Args args) {
        RuntimeOptions options = RuntimeOptions.defaults(home).withPaths(args.paths).withProperties(args.properties);
        return args.credentials == null ? options : options.withCredentials(args.credentials);
    }

    private static String summary(List<Diagnostic> diagnostics) {
        return diagnostics.size() + " problem" + (diagnostics.size() == 1 ? "" : "s") + " found";
    }

    /** The parsed command line. */
    static final class Args {
        String command;
        Path credentials;
        final List<Path> paths = new ArrayList<>();
        final Map<String, String> properties = new LinkedHashMap<>();
        String namespace;
        Path out;
        String image = "caravan:latest";
        int minReplicas = 1;
        int maxReplicas = 10;
        String url;
        String credentialId;
        boolean all;
        Integer max;
        String to;

        static Args parse(String[] argv) {
            Args a = new Args();
            a.command = argv[0];
            for (int i = 1; i < argv.length; i++) {
                String arg = argv[i];
                switch (arg) {
                    case "--credentials" -> a.credentials = Path.of(value(argv, ++i, arg));
                    case "--port" -> a.properties.put("caravan.http.port", port(value(argv, ++i, arg)));
                    case "-D" -> property(a, value(argv, ++i, arg));
                    case "--watch" -> a.properties.put("caravan.watch", "true");
                    case "--strict" -> a.properties.put("caravan.strict", "true");
                    case "--namespace" -> a.namespace = value(argv, ++i, arg);
                    case "--out" -> a.out = Path.of(value(argv, ++i, arg));
                    case "--image" -> a.image = value(argv, ++i, arg);
                    case "--min-replicas" -> a.minReplicas = count(value(argv, ++i, arg), arg);
                    case "--max-replicas" -> a.maxReplicas = count(value(argv, ++i, arg), arg);
                    case "--url" -> a.url = value(argv, ++i, arg);
                    case "--credential-id" -> a.credentialId = value(argv, ++i, arg);
                    case "--all" -> a.all = true;
                    case "--max" -> a.max = count(value(argv, ++i, arg), arg);
                    case "--to" -> a.to = value(argv, ++i, arg);
                    case "--dep" -> a.properties.merge("caravan.dependencies", value(argv, ++i, arg), (x, y) -> x + "," + y);
                    default -> {
                        if (arg.startsWith("-D") && arg.length() > 2) {
                            property(a, arg.substring(2));
                        } else if (arg.startsWith("-")) {
                            throw new IllegalArgumentException("unknown option '" + arg + "'");
                        } else {
                            a.paths.add(Path.of(arg));
                        }
                    }
                }
            }
            return a;
        }

        private static String value(String[] argv, int i, String option) {
            if (i >= argv.length) {
                throw new IllegalArgumentException(option + " needs a value");
            }
            return argv[i];
        }

        private static int count(String text, String option) {
            try {
                int n = Integer.parseInt(text);
                if (n < 0) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " needs a whole number of 0 or more, got '" + text + "'");
            }
        }

        private static String port(String text) {
            try {
                int port = Integer.parseInt(text);
                if (port < 0 || port > 65535) {
                    throw new NumberFormatException();
                }
                return text;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--port needs a port number 0-65535, got '" + text + "'");
            }
        }

        private static void property(Args a, String kv) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("-D needs name=value, got '" + kv + "'");
            }
            a.properties.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
    }
}
