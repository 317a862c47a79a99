package io.caravan.camel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caravan.CaravanException;
import io.caravan.ErrorCode;
import io.caravan.compile.Runs;
import io.caravan.template.RunContext;
import java.util.Map;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

/**
 * Caravan's Camel language and its {@code caravan:} component in a plain Camel context: found by
 * name from the jar (no bean, no Caravan runtime), in a route written in Camel's YAML DSL.
 */
class CaravanLanguageTest {

    private static final String ROUTE = """
            - route:
                from:
                  uri: direct:in
                  steps:
                    - to: caravan:enter/shape
                    - setBody:
                        expression:
                          language:
                            language: caravan
                            expression: '{"id": "${input.id}", "big": ${input.amount}, "shell": "$${HOME}", "nested": {"a": {"b": 1}}}'
                    - to: caravan:output/shape?json=true
                    - to: caravan:enter/is-big
                    - choice:
                        when:
                          - expression:
                              language:
                                language: caravan
                                expression: "${shape.big} >= 1000 && ${trigger.headers.tenant} == 'acme'"
                            steps:
                              - to: caravan:result/is-big?value=true
                        otherwise:
                          steps:
                            - to: caravan:result/is-big?value=false
                    - setBody:
                        expression:
                          language:
                            language: caravan
                            expression: '{"shape": ${shape}, "big": ${is-big.result}}'
            """;

    @Test
    void workflowTemplatesReadAsThisLanguageAndBack() {
        String template = "{\"id\": \"{{input.id}}\", \"home\": \"${HOME}\", \"n\": {\"a\": {{input.n}}}}";
        String camel = CaravanLanguage.camelText(template);
        assertThat(camel).isEqualTo("{\"id\": \"${input.id}\", \"home\": \"$${HOME}\", \"n\": {\"a\": ${input.n}}}");
        assertThat(CaravanLanguage.caravanText(camel)).isEqualTo(template);
    }

    @Test
    void aPlainCamelContextRunsTemplatesConditionsAndBookkeeping() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("in.camel.yaml", ROUTE));
            context.start();
            var producer = context.createProducerTemplate();
            Exchange big = producer.request("direct:in", e -> {
                e.getMessage().setBody("{\"id\": \"o-1\", \"amount\": 2500}");
                e.getMessage().setHeader("tenant", "acme");
            });
            assertThat(big.getException()).isNull();
            assertThat(big.getMessage().getBody(String.class)).isEqualTo(
                    "{\"shape\": {\"id\":\"o-1\",\"big\":2500,\"shell\":\"${HOME}\",\"nested\":{\"a\":{\"b\":1}}}, \"big\": true}");
            RunContext run = big.getProperty(Runs.RUN, RunContext.class);
            assertThat(run.output("is-big")).isEqualTo(Map.of("result", true));

            String small = producer.requestBodyAndHeader("direct:in", "{\"id\": \"o-2\", \"amount\": 10}", "tenant", "acme",
                    String.class);
            assertThat(small).endsWith("\"big\": false}");
        }
    }

    @Test
    void aMissingValueFailsNamingTheNodeThatRuns() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            PluginHelper.getRoutesLoader(context).loadRoutes(ResourceHelper.fromString("in.camel.yaml", ROUTE));
            context.start();
            assertThatThrownBy(() -> context.createProducerTemplate().requestBody("direct:in", "{\"amount\": 1}"))
                    .isInstanceOf(CamelExecutionException.class)
                    .cause().isInstanceOfSatisfying(CaravanException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.TEMPLATE_VALUE_MISSING);
                        assertThat(e.node()).isEqualTo("shape");
                        assertThat(e.getMessage()).isEqualTo("node 'shape': {{input.id}} has no value: input has no field 'id'");
                    });
        }
    }

    @Test
    void aBadEndpointOrExpressionIsRefusedWhenTheRouteIsMade() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            assertThatThrownBy(() -> context.getEndpoint("caravan:explode/x"))
                    .hasStackTraceContaining("unknown action 'explode'; actions: enter, output, result, log");
            assertThatThrownBy(() -> context.resolveLanguage("caravan").createPredicate("${input.id} >>> 1"))
                    .hasMessageContaining("caravan expression");
        }
    }

    @Test
    void failurePredicatesReadTheFailureOnTheExchange() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.start();
            var language = context.resolveLanguage("caravan");
            Exchange exchange = new org.apache.camel.support.DefaultExchange(context);
            exchange.setProperty(Runs.NODE, "send");
            exchange.setException(new CaravanException(ErrorCode.TIMEOUT, "slow", "send", null));
            assertThat(language.createPredicate("retry(send, CONNECTION_FAILED, TIMEOUT)").matches(exchange)).isTrue();
            assertThat(language.createPredicate("retry(send, CONNECTION_FAILED)").matches(exchange)).isFalse();
            assertThat(language.createPredicate("retry(other, TIMEOUT)").matches(exchange)).isFalse();
            assertThat(language.createPredicate("failedIn(a, send)").matches(exchange)).isTrue();
            assertThat(language.createPredicate("failedIn(a)").matches(exchange)).isFalse();
            // a run that came from a broker has its original message; a webhook's answers instead
            assertThat(language.createPredicate("handled(none)").matches(exchange)).isFalse();
            assertThat(language.createPredicate("handled(reply)").matches(exchange)).isTrue();
            assertThat(language.createPredicate("deadLetter(own)").matches(exchange)).isFalse();
            exchange.setProperty(Runs.ORIGINAL, new Runs.Original("{}", Map.of(), "kafka:orders", null, null));
            assertThat(language.createPredicate("deadLetter(own)").matches(exchange)).isTrue();
            assertThat(language.createPredicate("handled(default)").matches(exchange)).isTrue();
            // a source that dead-letters by itself takes the failure instead of the default dead letter
            exchange.setProperty(io.caravan.binding.Messages.SOURCE_DEAD_LETTERS, true);
            assertThat(language.createPredicate("handled(default)").matches(exchange)).isFalse();
            assertThat(language.createPredicate("handled(own)").matches(exchange)).isTrue();

            assertThatThrownBy(() -> language.createPredicate("retry(send, SLOW)")).hasMessageContaining("SLOW");
            assertThatThrownBy(() -> language.createPredicate("handled(maybe)")).hasMessageContaining("reply, none, own, default");
        }
    }
}
