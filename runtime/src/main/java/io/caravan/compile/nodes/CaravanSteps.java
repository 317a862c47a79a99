package io.caravan.compile.nodes;

import io.caravan.camel.CaravanComponent;
import io.caravan.camel.CaravanLanguage;
import io.caravan.compile.CompileContext;
import io.caravan.workflow.WorkflowNode;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.language.LanguageExpression;

/** The steps nodes compile to with Caravan's Camel language and its {@code caravan:} component. */
final class CaravanSteps {

    private CaravanSteps() {
    }

    /** A workflow's template or condition in Caravan's Camel language. */
    static LanguageExpression template(String text) {
        return CaravanLanguage.expression(text);
    }

    /** {@code caravan:<action>/<node>[?<query>]} */
    static String uri(String action, WorkflowNode node, String query) {
        return CaravanComponent.SCHEME + ":" + action + "/" + node.id() + (query.isEmpty() ? "" : "?" + query);
    }

    /** The node starts: failures from here on are its own. */
    static void enter(WorkflowNode node, CompileContext context, ProcessorDefinition<?> step) {
        step.to(uri("enter", node, "")).id(context.camelId(node, "enter"));
    }
}
