package io.caravan.workflow;

import io.caravan.template.Reference;
import io.caravan.template.Template;
import java.util.List;

/**
 * Reads a condition expression far enough to list the {@code {{...}}} references it makes, so
 * the validator can check them. The condition language lives elsewhere; this keeps the
 * validator from depending on it.
 */
@FunctionalInterface
public interface ExpressionChecker {

    /** The references in {@code expression}; throws TemplateException when it cannot be read. */
    List<Reference> references(String expression);

    /** Until the condition parser is wired in: the references found by reading the text as a template. */
    static ExpressionChecker templateReferences() {
        return expression -> Template.parse(expression).references();
    }
}
