package io.caravan.reference;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.binding.Binding;
import io.caravan.binding.Bindings;
import io.caravan.spec.BrokerSpec;
import io.caravan.spec.Field;
import io.caravan.workflow.ErrorHandlingSpecs;
import io.caravan.workflow.NodeSpecs;
import io.caravan.workflow.NodeType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceTest {

    @Test
    void theCommittedReferenceIsWhatTheSpecsGenerate() throws Exception {
        Path committed = Path.of(Reference.FILE);
        assertThat(committed).as("the committed reference").exists();
        assertThat(Files.readString(committed, StandardCharsets.UTF_8))
                .as(Reference.FILE + " differs from the specs; regenerate it: bin/caravan reference > " + Reference.FILE)
                .isEqualTo(Reference.markdown());
    }

    @Test
    void everyFieldOfEverySpecIsInTheReference() {
        String md = Reference.markdown();
        List<Field> all = new ArrayList<>();
        for (NodeType t : NodeType.values()) {
            all.addAll(NodeSpecs.of(t).fields());
        }
        for (BrokerSpec b : Bindings.ALL.stream().map(Binding::spec).toList()) {
            all.addAll(b.sendFields());
            all.addAll(b.receiveFields());
            all.addAll(b.credential().fields());
            assertThat(md).contains("### `" + b.queueType() + "`", "Credential type `" + b.credential().type() + "`");
        }
        all.addAll(ErrorHandlingSpecs.RETRY);
        all.addAll(ErrorHandlingSpecs.CIRCUIT_BREAKER);
        all.addAll(ErrorHandlingSpecs.DEAD_LETTER);
        for (Field f : all) {
            assertThat(f.description()).as(f.name() + " has a description").isNotBlank();
            assertThat(md).contains("| `" + f.name() + "`" + (f.secret() ? " (secret)" : "") + " | " + f.kind().shown());
        }
    }
}
