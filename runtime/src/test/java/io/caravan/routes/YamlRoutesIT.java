package io.caravan.routes;

import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.testing.BrokerClients;
import io.caravan.testing.LogCapture;
import io.caravan.testing.RoutesHome;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hand-written Camel YAML DSL routes, in the style of the Camel documentation and JBang
 * examples, loaded by Caravan's runtime from a routes/ folder beside a workflow: a timer, a
 * platform-http endpoint on the hub's one HTTP server, a Kafka-to-SQS bridge, and a route that
 * calls a workflow's webhook. Only components Caravan ships are used.
 */
class YamlRoutesIT {

    private static final String TOPIC = TestBrokers.unique("routes-in");
    private static final String QUEUE = TestBrokers.unique("routes-out");

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static LogCapture log;

    @BeforeAll
    static void start() throws Exception {
        TestBrokers.sqs().createQueue(QUEUE);
        // the timer fires as soon as the route starts: capture from before the start
        log = LogCapture.begin();
        runtime = new RoutesHome(home)
                .property("app.kafka", TestBrokers.kafka().bootstrapServers())
                .property("app.sqs", TestBrokers.sqs().endpoint())
                .property("app.topic", TOPIC).property("app.queue", QUEUE)
                .property("app.group", TestBrokers.unique("routes-it"))
                .route("tick", """
                        - route:
                            id: tick
                            from:
                              uri: timer:tick
                              parameters:
                                repeatCount: 1
                                delay: 0
                              steps:
                                - setBody:
                                    simple: "Hello Caravan from ${routeId}"
                                - log:
                                    loggingLevel: INFO
                                    logName: caravan.routes.tick
                                    message: "${body}"
                        """)
                .route("greet", """
                        # POST /greet {"name": "ada"} -> Hello ada; an empty body is a 400
                        - route:
                            id: greet
                            from:
                              uri: platform-http:/greet
                              parameters:
                                httpMethodRestrict: POST
                              steps:
                                - choice:
                                    when:
                                      - simple: "${body} == null || ${bodyAs(String).trim()} == ''"
                                        steps:
                                          - setHeader:
                                              name: CamelHttpResponseCode
                                              constant: 400
                                          - setBody:
                                              constant: "a JSON body with a name is required"
                                      - simple: "${header.Content-Type} contains 'json'"
                                        steps:
                                          - unmarshal:
                                              json:
                                                library: Jackson
                                          - setBody:
                                              simple: "Hello ${body[name]}"
                                    otherwise:
                                      steps:
                                        - setBody:
                                            simple: "Hello ${bodyAs(String).trim()}"
                                - removeHeaders:
                                    pattern: "*"
                                    excludePattern: CamelHttpResponseCode
                                - setHeader:
                                    name: Content-Type
                                    constant: text/plain
                        """)
                .route("bridge", """
                        # every record on a Kafka topic, shouted, onto an SQS queue
                        - route:
                            id: kafka-to-sqs
                            from:
                              uri: "kafka:{{app.topic}}"
                              parameters:
                                brokers: "{{app.kafka}}"
                                groupId: "{{app.group}}"
                                autoOffsetReset: earliest
                              steps:
                                # inbound Kafka headers are data: none may reach the SQS producer
                                - removeHeaders:
                                    pattern: "*"
                                - transform:
                                    simple: "${bodyAs(String).toUpperCase()}"
                                - to:
                                    uri: "aws2-sqs:{{app.queue}}"
                                    parameters:
                                      region: us-east-1
                                      accessKey: local
                                      secretKey: local
                                      overrideEndpoint: true
                                      uriEndpointOverride: "{{app.sqs}}"
                        """)
                .route("ask-echo", """
                        # a route calling a workflow: POST to the echo workflow's webhook
                        - route:
                            id: ask-echo
                            from:
                              uri: direct:ask-echo
                              steps:
                                - setBody:
                                    simple: '{"text": "${body}"}'
                                - removeHeaders:
                                    pattern: "*"
                                - setHeader:
                                    name: Content-Type
                                    constant: application/json
                                - setHeader:
                                    name: x-note
                                    constant: from-a-route
                                - to: "http://127.0.0.1:{{caravan.http.port}}/webhooks/echo?httpMethod=POST"
                                - unmarshal:
                                    json:
                                      library: Jackson
                                - setBody:
                                    simple: "${body[output][said]} (${body[output][header]})"
                        """)
                .load(Path.of("runtime/src/test/resources/runtime/echo.json"))
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (log != null) {
            log.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    @Test
    void timerRouteLogsItsGreeting() throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (log.events("caravan.routes.tick").isEmpty() && System.currentTimeMillis() < deadline) {
            Thread.sleep(100);
        }
        assertThat(log.events("caravan.routes.tick")).singleElement()
                .satisfies(e -> assertThat(e.getMessage().getFormattedMessage()).isEqualTo("Hello Caravan from tick"));
    }

    @Test
    void platformHttpRouteAnswersByContentTypeOnTheHubsPort() throws Exception {
        assertThat(post("/greet", "application/json", "{\"name\": \"ada\"}")).isEqualTo("200 Hello ada");
        assertThat(post("/greet", "text/plain", "grace")).isEqualTo("200 Hello grace");
        assertThat(post("/greet", "text/plain", "")).isEqualTo("400 a JSON body with a name is required");
    }

    @Test
    void kafkaRecordsAreTransformedOntoSqs() throws Exception {
        BrokerClients.kafkaSend(TOPIC, "k", "shout this", Map.of("CamelAwsSqsOperation", "purgeQueue"));
        assertThat(BrokerClients.sqsReceiveOne(QUEUE).body()).isEqualTo("SHOUT THIS");
    }

    @Test
    void aRouteCallsAWorkflowThroughItsWebhook() {
        String answer = runtime.context().createProducerTemplate().requestBody("direct:ask-echo", "hi", String.class);
        assertThat(answer).isEqualTo("hi (from-a-route)");
    }

    private static String post(String path, String contentType, String body) throws Exception {
        HttpResponse<String> response = io.caravan.testing.HttpClients.http11().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + runtime.httpPort() + path))
                .header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() + " " + response.body();
    }

}
