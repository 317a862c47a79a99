package io.caravan.camel;

import java.util.Map;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * {@code caravan:} the steps of a workflow run that are Caravan's bookkeeping rather than a
 * broker's or a service's, as endpoints any route may name, so compiled routes need no bean of
 * the workflow's. {@code caravan:<action>/<node-id>}:
 * <ul>
 *   <li>{@code enter}: the node starts (failures from here on are the node's);</li>
 *   <li>{@code output}: the body is the node's output ({@code json=true}: a JSON text is read as
 *       the value it holds);</li>
 *   <li>{@code result}: a condition's output, {@code {"result": <value>}};</li>
 *   <li>{@code log}: logs the body as the node's line ({@code level}, {@code workflow});</li>
 *   <li>{@code finish} (the node: the trigger): the run is over; {@code replies=true} answers
 *       the caller with the last node's output;</li>
 *   <li>a send's {@code stash} (the run's headers aside), {@code text} (body and headers as
 *       text) and {@code sent} ({@code queueType}, {@code destination}: the output, the headers
 *       back, the sent count);</li>
 *   <li>{@code http} ({@code method}, {@code timeout}, {@code failOn4xx}, {@code failOn5xx},
 *       {@code json}, {@code caFile}): the call, from the url, headers and body the route rendered;</li>
 *   <li>a loop's {@code items} ({@code max}), {@code item}, {@code item-done} ({@code nodes}) and
 *       {@code loop-done}; a parallel's {@code fork} ({@code branches}, {@code wait}),
 *       {@code branch}, {@code branch-done} ({@code nodes}) and its {@code join} ({@code parallel},
 *       {@code starts}, {@code timeout}); a workflow node's {@code call} and {@code called}
 *       ({@code target}, {@code mode}) and a called workflow's {@code call-start}: see
 *       {@link io.caravan.compile.nodes.RunSteps};</li>
 *   <li>a trigger's start: {@code webhook} ({@code auth}, {@code credential}, {@code header},
 *       {@code timestampHeader}, {@code tolerance}, {@code allowedIps}, {@code maxBody}),
 *       {@code schedule} ({@code payload} or {@code payloadBase64}, {@code overlap}),
 *       {@code receive} ({@code queueType}, {@code source}, {@code maxDeliveries}); a pull,
 *       {@code pull} ({@code queueType}, {@code credential}, {@code source}, {@code max},
 *       {@code waitTime}, {@code deleteAfter});</li>
 *   <li>failure handling: {@code failed} ({@code replies}), {@code dead-letter} and
 *       {@code dead-lettered} around the broker's own endpoint, an error branch's {@code caught},
 *       a breaker's {@code fallback} and {@code fallback-output} ({@code fallback}); see
 *       {@link io.caravan.compile.errors.FailureSteps};</li>
 *   <li>idempotency: {@code in-flight} before the idempotentConsumer, {@code duplicate} after it.</li>
 * </ul>
 * The component also binds the credentials of the file the Camel property
 * {@value CredentialBeans#PROPERTY} names ({@link CredentialBeans}), for a plain camel-main.
 */
public final class CaravanComponent extends io.caravan.camel.CredentialBeans.Component {

    public static final String SCHEME = "caravan";

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        int slash = remaining.indexOf('/');
        if (slash <= 0 || slash == remaining.length() - 1) {
            throw new IllegalArgumentException("caravan endpoint '" + uri + "': write caravan:<action>/<node-id>");
        }
        CaravanEndpoint endpoint = new CaravanEndpoint(uri, this, remaining.substring(0, slash),
                remaining.substring(slash + 1));
        setProperties(endpoint, parameters);
        endpoint.check();
        return endpoint;
    }
}
