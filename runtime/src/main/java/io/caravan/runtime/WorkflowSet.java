package io.caravan.runtime;

import io.caravan.binding.Binding;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.CredentialSpec;
import io.caravan.webhook.WebhookAuth;
import io.caravan.binding.Bindings;
import io.caravan.credential.CredentialStore;
import io.caravan.template.Condition;
import io.caravan.workflow.Workflow;
import io.caravan.source.InvalidFileException;
import io.caravan.workflow.WorkflowValidator;
import io.caravan.workflow.Workflows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Loads the credentials file and validates workflow files the way every command does. */
public final class WorkflowSet {

    private WorkflowSet() {
    }

    public static List<BrokerSpec> specs() {
        return Bindings.ALL.stream().map(Binding::spec).toList();
    }

    /**
     * The credentials of {@code options}: the file given, or {@code config/credentials.yaml}
     * when it exists, or none.
     */
    public static CredentialStore loadCredentials(RuntimeOptions options) {
        Path file = options.credentialsFile();
        if (!Files.exists(file)) {
            if (options.credentials() == null) {
                return CredentialStore.empty();
            }
            throw new IllegalArgumentException(file + ": no such credentials file");
        }
        return CredentialStore.load(file, file.toString(), credentialSpecs(), options.env());
    }

    /** Every credential type: each broker's, and the webhooks' secrets. */
    public static List<CredentialSpec> credentialSpecs() {
        List<CredentialSpec> all = new java.util.ArrayList<>(specs().stream().map(BrokerSpec::credential).toList());
        all.add(WebhookAuth.CREDENTIAL);
        return List.copyOf(all);
    }

    /**
     * Asks the broker of every credential the workflows use what it thinks of it (a missing
     * virtual host, a refused login), each placed at the credential in its file. A broker
     * that does not answer within {@code timeout} is not asked: validate works without brokers.
     */
    public static List<io.caravan.source.Diagnostic> probe(List<Workflow> workflows, CredentialStore credentials,
                                                           java.time.Duration timeout) {
        List<io.caravan.source.Diagnostic> problems = new java.util.ArrayList<>();
        workflows.stream().flatMap(w -> w.credentialIds().stream()).distinct().forEach(id ->
                credentials.find(id).ifPresent(c -> Bindings.forCredentialType(c.type()).ifPresent(b ->
                        b.provisioner().probe(c, timeout).ifPresent(said ->
                                problems.add(credentials.problem(id, "", io.caravan.ErrorCode.CONNECTION_FAILED.name(),
                                        "credential '" + id + "': " + said))))));
        return problems;
    }

    /** Validates every workflow in {@code paths} (files or folders); all problems or all workflows. */
    public static List<Workflow> load(List<Path> paths, CredentialStore credentials) {
        WorkflowValidator validator = new WorkflowValidator(specs(), credentials,
                expression -> Condition.parse(expression).references());
        Workflows.LoadResult result = Workflows.validateAll(paths, validator);
        if (!result.ok()) {
            throw new InvalidFileException(result.diagnostics());
        }
        return result.workflows();
    }
}
