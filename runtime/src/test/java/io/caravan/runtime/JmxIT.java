package io.caravan.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caravan.brokers.EmbeddedKafka;
import io.caravan.runtime.management.WorkflowMBean;
import io.caravan.testing.Ports;
import io.caravan.testing.TestBrokers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JMX management as an operator uses it: a runtime with a Kafka-triggered workflow and a
 * webhook one, remote JMX with a login on a free port, reached through a real JMX connector
 * client (and Jolokia over HTTP). Stopping a workflow really stops its consumer; reload swaps
 * a valid file in and refuses an invalid one.
 */
class JmxIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = io.caravan.testing.HttpClients.http11();
    private static final String USER = "operator";
    private static final String PASSWORD = "pw-" + UUID.randomUUID();

    @TempDir
    static Path home;
    static CaravanRuntime runtime;
    static EmbeddedKafka kafka;
    static String group;
    static String in;
    static String out;
    static int httpPort;
    static int jmxPort;
    static int managementPort;
    static Path hookFile;
    static JMXConnector connector;
    static MBeanServerConnection jmx;

    @BeforeAll
    static void start() throws Exception {
        kafka = TestBrokers.kafka();
        group = TestBrokers.unique("jmx-it");
        in = TestBrokers.unique("jmx-in");
        out = TestBrokers.unique("jmx-out");
        Path credentials = home.resolve("credentials.yaml");
        Files.writeString(credentials, "kafka-test: {type: queue_kafka, brokers: [\"%s\"], consumer_group: %s}\n"
                .formatted(kafka.bootstrapServers(), group));
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("jmx-kafka.json"), """
                {"id": "jmx-kafka", "name": "Kafka relay under JMX",
                 "nodes": [
                   {"id": "in", "type": "receive_message", "config": {"queue_type": "kafka", "source": "%s", "credential_id": "kafka-test"}},
                   {"id": "out", "type": "send_message", "config": {"queue_type": "kafka", "destination": "%s", "credential_id": "kafka-test", "message": "{{input}}"}}],
                 "edges": [{"from": "in", "to": "out"}]}
                """.formatted(in, out));
        hookFile = workflows.resolve("jmx-hook.json");
        Files.writeString(hookFile, hook("Webhook under JMX"));
        httpPort = Ports.free();
        jmxPort = Ports.free();
        managementPort = Ports.free();
        RuntimeOptions options = RuntimeOptions.defaults(home).withCredentials(credentials).withProperties(Map.of(
                "caravan.http.port", String.valueOf(httpPort),
                "caravan.jmx.port", String.valueOf(jmxPort),
                "caravan.jmx.user", USER,
                "caravan.jmx.password", PASSWORD,
                "caravan.jolokia.enabled", "true",
                "caravan.management.port", String.valueOf(managementPort)));
        runtime = CaravanRuntime.create(options).start();
        connector = JMXConnectorFactory.connect(url(), Map.of(JMXConnector.CREDENTIALS, new String[] {USER, PASSWORD}));
        jmx = connector.getMBeanServerConnection();
    }

    @AfterAll
    static void stop() throws Exception {
        if (connector != null) {
            connector.close();
        }
        if (runtime != null) {
            runtime.close();
        }
    }

    private static String hook(String name) {
        return """
                {"id": "jmx-hook", "name": "%s",
                 "nodes": [{"id": "hook", "type": "webhook"},
                           {"id": "shape", "type": "transform", "config": {"template": "{\\"order\\": \\"{{input.order.id}}\\"}"}}],
                 "edges": [{"from": "hook", "to": "shape"}]}
                """.formatted(name);
    }

    private static JMXServiceURL url() throws Exception {
        return new JMXServiceURL("service:jmx:rmi://127.0.0.1:" + jmxPort + "/jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi");
    }

    private static ObjectName workflowName(String id) throws Exception {
        Set<ObjectName> names = jmx.queryNames(new ObjectName("io.caravan:type=Workflow,name=" + ObjectName.quote(id) + ",*"), null);
        assertThat(names).as("the MBean of workflow " + id).hasSize(1);
        return names.iterator().next();
    }

    private static WorkflowMBean workflow(String id) throws Exception {
        return JMX.newMBeanProxy(jmx, workflowName(id), WorkflowMBean.class);
    }

    @Test
    void aWrongPasswordOrNoLoginIsRefused() {
        assertThatThrownBy(() -> JMXConnectorFactory.connect(url(),
                Map.of(JMXConnector.CREDENTIALS, new String[] {USER, PASSWORD + "x"})).close())
                .isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> JMXConnectorFactory.connect(url(), Map.of()).close())
                .isInstanceOf(SecurityException.class);
    }

    @Test
    void listsTheWorkflowsWithTheirFileVersionAndName() throws Exception {
        Set<String> ids = jmx.queryNames(new ObjectName("io.caravan:type=Workflow,*"), null).stream()
                .map(n -> ObjectName.unquote(n.getKeyProperty("name"))).collect(Collectors.toSet());
        assertThat(ids).containsExactlyInAnyOrder("jmx-kafka", "jmx-hook");

        ObjectName name = workflowName("jmx-kafka");
        assertThat(jmx.getAttribute(name, "SourceFile")).isEqualTo(home.resolve("workflows/jmx-kafka.json").toString());
        assertThat((String) jmx.getAttribute(name, "Version")).isNotBlank()
                .isEqualTo(runtime.deployer().workflow("jmx-kafka").orElseThrow().workflow().version());
        assertThat(jmx.getAttribute(name, "Name")).isEqualTo("Kafka relay under JMX");
        assertThat(jmx.getAttribute(name, "State")).isEqualTo("Started");
    }

    @Test
    void camelsRouteMBeanIsNamedByTheWorkflowWithItsNameAsDescription() throws Exception {
        for (String[] w : List.of(new String[] {"jmx-kafka", "Kafka relay under JMX"}, new String[] {"jmx-hook", null})) {
            Set<ObjectName> routes = jmx.queryNames(new ObjectName("org.apache.camel:type=routes,name=" + ObjectName.quote(w[0]) + ",*"), null);
            assertThat(routes).hasSize(1);
            ObjectName route = routes.iterator().next();
            assertThat(jmx.getAttribute(route, "RouteId")).isEqualTo(w[0]);
            assertThat(jmx.getAttribute(route, "RouteGroup")).isEqualTo(w[0]);
            String expected = w[1] != null ? w[1] : runtime.deployer().workflow(w[0]).orElseThrow().workflow().name();
            assertThat(jmx.getAttribute(route, "Description")).isEqualTo(expected);
            assertThat(jmx.getAttribute(workflowName(w[0]), "RouteMBean")).isEqualTo(route.toString());
        }
    }

    @Test
    void aStoppedWorkflowConsumesNothingUntilStartedAgain() throws Exception {
        WorkflowMBean wf = workflow("jmx-kafka");
        try (KafkaConsumer<String, String> reader = reader(); Admin admin = admin()) {
            // warm up: the route consumes and relays while started
            produce("first");
            assertThat(await(reader, 1, Duration.ofSeconds(30))).containsExactly("first");
            // the relayed record can reach the reader before Camel counts its exchange as done
            io.caravan.testing.Await.until("the first run is counted", Duration.ofSeconds(10), () -> wf.getExchangesTotal() >= 1);
            long before = wf.getExchangesTotal();

            wf.stop();
            assertThat(wf.getState()).isEqualTo("Stopped");
            long committedAtStop = committed(admin);
            produce("second");
            produce("third");
            // bounded wait that must see nothing: the consumer is closed while stopped
            assertThat(await(reader, 1, Duration.ofSeconds(4))).isEmpty();
            assertThat(committed(admin)).isEqualTo(committedAtStop);

            wf.start();
            assertThat(wf.getState()).isEqualTo("Started");
            // at least once: records the stopped consumer had relayed but not committed come again
            List<String> after = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!after.containsAll(List.of("second", "third")) && System.nanoTime() < deadline) {
                after.addAll(await(reader, 1, Duration.ofSeconds(1)));
            }
            assertThat(after).contains("second", "third").doesNotHaveDuplicates();
            assertThat(wf.getRunsStarted()).isGreaterThanOrEqualTo(3);
            // the route was started again, not re-created: Camel's counters kept counting
            assertThat(wf.getExchangesTotal()).isGreaterThanOrEqualTo(before + 2);
            assertThat(wf.getExchangesInflight()).isZero();
        }
    }

    @Test
    void aFailedRunIsTheLastErrorWithCodeAndNode() throws Exception {
        ObjectName name = workflowName("jmx-hook");
        long failedBefore = (Long) jmx.getAttribute(name, "RunsFailed");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/webhooks/jmx-hook"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"order\": {}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(jmx.getAttribute(name, "LastErrorCode")).isEqualTo("TEMPLATE_VALUE_MISSING");
        assertThat(jmx.getAttribute(name, "LastErrorNode")).isEqualTo("shape");
        assertThat((String) jmx.getAttribute(name, "LastErrorMessage")).contains("input.order.id");
        assertThat((String) jmx.getAttribute(name, "LastErrorTime")).isNotBlank();
        assertThat((Long) jmx.getAttribute(name, "RunsFailed")).isEqualTo(failedBefore + 1);
        assertThat((Long) jmx.getAttribute(name, "ExchangesTotal")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void reloadSwapsAValidFileInAndRefusesAnInvalidOne() throws Exception {
        ObjectName name = workflowName("jmx-hook");
        String oldVersion = (String) jmx.getAttribute(name, "Version");

        Files.writeString(hookFile, hook("Webhook under JMX, reloaded"));
        String newVersion = (String) jmx.invoke(name, "reload", null, null);
        assertThat(newVersion).isNotEqualTo(oldVersion);
        assertThat(jmx.getAttribute(name, "Version")).isEqualTo(newVersion);
        assertThat(jmx.getAttribute(name, "Name")).isEqualTo("Webhook under JMX, reloaded");
        assertThat(jmx.getAttribute(name, "State")).isEqualTo("Started");

        Files.writeString(hookFile, hook("broken").replace("\"transform\"", "\"transfrom\""));
        assertThatThrownBy(() -> jmx.invoke(name, "reload", null, null))
                .isInstanceOf(RuntimeMBeanException.class)
                .hasMessageContaining("jmx-hook.json")
                .hasMessageContaining("transfrom")
                .hasMessageContaining("running version stays");
        assertThat(jmx.getAttribute(name, "Version")).isEqualTo(newVersion);
        assertThat(jmx.getAttribute(name, "State")).isEqualTo("Started");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/webhooks/jmx-hook"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"order\": {\"id\": \"o-9\"}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).at("/output/order").asText()).isEqualTo("o-9");
        Files.writeString(hookFile, hook("Webhook under JMX"));
    }

    @Test
    void jolokiaReadsAWorkflowAttributeOverHttp() throws Exception {
        String mbean = "io.caravan:context=" + workflowName("jmx-kafka").getKeyProperty("context") + ",type=Workflow,name=%22jmx-kafka%22";
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                        + "/observe/jolokia/read/" + mbean + "/SourceFile")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.get("status").asInt()).as(r.body()).isEqualTo(200);
        assertThat(body.get("value").asText()).isEqualTo(home.resolve("workflows/jmx-kafka.json").toString());
    }

    private static void produce(String value) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(in, value)).get();
        }
    }

    private static KafkaConsumer<String, String> reader() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("group.id", TestBrokers.unique("jmx-reader"));
        p.put("auto.offset.reset", "earliest");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
        consumer.subscribe(List.of(out));
        return consumer;
    }

    /** Up to {@code count} record values from the reader, waiting at most {@code timeout}. */
    private static List<String> await(KafkaConsumer<String, String> reader, int count, Duration timeout) {
        List<String> values = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (values.size() < count && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, String> r : reader.poll(Duration.ofMillis(250))) {
                values.add(r.value());
            }
        }
        return values;
    }

    private static Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    /** The workflow's consumer group's committed offsets on the source topic, summed. */
    private static long committed(Admin admin) {
        try {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group + ".jmx-kafka")
                    .partitionsToOffsetAndMetadata().get();
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(in) && e.getValue() != null)
                    .mapToLong(e -> e.getValue().offset()).sum();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
