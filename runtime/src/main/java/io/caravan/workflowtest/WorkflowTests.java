package io.caravan.workflowtest;

import io.caravan.compile.CompiledWorkflow;
import io.caravan.compile.WorkflowCompiler;
import io.caravan.credential.CredentialStore;
import io.caravan.source.InvalidFileException;
import io.caravan.workflow.Workflow;
import io.caravan.runtime.WorkflowSet;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code caravan test}: runs the {@code *.test.yaml} files found in the folders given (or given
 * themselves, or beside the workflow files given) against the workflows beside them, compiled
 * as {@code caravan run} compiles them, with no broker or network (see {@link Harness}). Prints
 * a line per case, a readable list of differences for each failure and {@code N passed, N failed}.
 */
public final class WorkflowTests {

    public static final String SUFFIX = ".test.yaml";

    private final PrintStream out;
    private final CredentialStore credentials;
    private int passed;
    private int failed;

    public WorkflowTests(PrintStream out, CredentialStore credentials) {
        this.out = out;
        this.credentials = credentials;
    }

    /** Runs the tests found under {@code paths}; 0 when every case passed, 1 otherwise. */
    public int run(List<Path> paths) throws Exception {
        List<Path> files = find(paths);
        if (files.isEmpty()) {
            out.println("no " + SUFFIX + " files in " + String.join(", ", paths.stream().map(Path::toString).toList()));
            return 1;
        }
        for (Path file : files) {
            runFile(file);
        }
        out.println();
        out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    static List<Path> find(List<Path> paths) throws Exception {
        List<Path> out = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).sorted().forEach(out::add);
                }
            } else if (p.getFileName().toString().endsWith(SUFFIX)) {
                out.add(p);
            } else {
                // a workflow file: the test beside it, named after it
                String name = p.getFileName().toString().replaceFirst("\\.(ya?ml|json)$", "");
                Path beside = p.resolveSibling(name + SUFFIX);
                if (Files.exists(beside)) {
                    out.add(beside);
                } else {
                    throw new IllegalArgumentException(p + ": no test beside it (" + beside + ")");
                }
            }
        }
        return out.stream().distinct().toList();
    }

    private void runFile(Path file) throws Exception {
        TestFile test;
        try {
            test = TestFile.read(file);
        } catch (TestFile.Invalid e) {
            fail(file.toString(), 0, List.of(e.getMessage()));
            return;
        }
        Optional<Workflow> workflow;
        try {
            workflow = workflowBeside(file, test.workflowId());
        } catch (InvalidFileException e) {
            List<String> problems = e.diagnostics().stream().map(d -> d.format()).toList();
            fail(file + ": the workflows beside it are invalid", 0, problems);
            return;
        }
        if (workflow.isEmpty()) {
            fail(file.toString(), 0, List.of("workflow: no workflow '" + test.workflowId() + "' in " + folder(file)));
            return;
        }
        List<String> nodes = workflow.get().nodes().stream().map(n -> n.id()).toList();
        for (TestFile.Case c : test.cases()) {
            for (String stubbed : c.stubs().keySet()) {
                if (!nodes.contains(stubbed)) {
                    fail(file.toString(), 0, List.of("case '" + c.name() + "': stubs." + stubbed + ": workflow '" + test.workflowId()
                            + "' has no node '" + stubbed + "'; its nodes: " + String.join(", ", nodes)));
                    return;
                }
            }
        }
        CompiledWorkflow compiled = WorkflowCompiler.standard().compile(workflow.get());
        try (Harness harness = new Harness(compiled, test.now())) {
            for (TestFile.Case c : test.cases()) {
                long start = System.nanoTime();
                List<String> problems;
                try {
                    problems = Expectations.check(c, harness.run(c));
                } catch (IllegalArgumentException e) {
                    problems = List.of(e.getMessage());
                }
                long ms = (System.nanoTime() - start) / 1_000_000;
                String name = test.workflowId() + " › " + c.name();
                if (problems.isEmpty()) {
                    passed++;
                    out.println("  PASS " + name + " (" + ms + " ms)");
                } else {
                    fail(name, ms, problems);
                }
            }
        }
    }

    private void fail(String name, long ms, List<String> problems) {
        failed++;
        out.println("  FAIL " + name + " (" + ms + " ms)");
        problems.forEach(p -> out.println("       " + p.replace("\n", "\n       ")));
    }

    private static Path folder(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent == null ? Path.of(".") : parent;
    }

    /** The workflow of that id among the workflow files in the test's folder. */
    private Optional<Workflow> workflowBeside(Path test, String id) throws Exception {
        List<Path> files;
        try (Stream<Path> list = Files.list(folder(test))) {
            files = list.filter(p -> {
                String n = p.getFileName().toString();
                return (n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json"))
                        && !io.caravan.workflow.Workflows.isOtherYaml(n);
            }).sorted().toList();
        }
        // the file whose workflow has this id, validated on its own as run would validate it
        for (Path f : files) {
            String text = Files.readString(f);
            if (!text.contains(id)) {
                continue;
            }
            List<Workflow> loaded = WorkflowSet.load(List.of(f), credentials);
            Optional<Workflow> match = loaded.stream().filter(w -> w.id().equals(id)).findFirst();
            if (match.isPresent()) {
                return match;
            }
        }
        return Optional.empty();
    }
}
