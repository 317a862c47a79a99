package io.caravan.workflow;

import io.caravan.source.Location;
import io.caravan.source.ParsedFile;
import io.caravan.source.SourceParser;
import io.caravan.source.InvalidFileException;
import static io.caravan.workflow.Check.problems;
import static org.assertj.core.api.Assertions.assertThat;

import io.caravan.spec.Durations;
import io.caravan.template.Reference;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkflowValidatorTest {

    @Test
    void validWorkflowGetsDefaultsAndTrigger() {
        Workflow wf = Check.yaml("""
                id: orders
                nodes:
                  - id: in
                    type: receive_message
                    config:
                      queue_type: kafka
                      source: orders
                      credential_id: kafka-cred
                  - id: out
                    type: send_message
                    name: Forward
                    config:
                      queue_type: kafka
                      destination: audit
                      message: '{"order": {{in.messages}}}'
                      key: "{{input.id}}"
                      attributes: {source: caravan}
                      credential_id: kafka-cred
                edges:
                  - {from: in, to: out}
                """);

        assertThat(wf.id()).isEqualTo("orders");
        assertThat(wf.name()).isEqualTo("orders");
        assertThat(wf.sourceFile()).isEqualTo("wf.yaml");
        assertThat(wf.trigger().id()).isEqualTo("in");
        NodeConfig in = wf.node("in").orElseThrow().config();
        // no default: a pull takes 10, a trigger sizes its batches itself
        assertThat(in.has("max_messages")).isFalse();
        assertThat(in.duration("wait_time")).isEqualTo(Duration.ofSeconds(5));
        assertThat(in.bool("delete_after")).isFalse();
        assertThat(in.location("source")).isEqualTo(new Location(7, 15, "$.nodes[0].config.source"));
        WorkflowNode out = wf.node("out").orElseThrow();
        assertThat(out.name()).isEqualTo("Forward");
        assertThat(out.trigger()).isFalse();
        assertThat(out.config().string("message")).isEqualTo("{\"order\": {{in.messages}}}");
        assertThat(out.config().string("key")).isEqualTo("{{input.id}}");
        assertThat(out.config().stringMap("attributes")).isEqualTo(Map.of("source", "caravan"));
        assertThat(wf.edges()).containsExactly(new Edge("in", "out", null, new Location(20, 5, "$.edges[0]")));
    }

    @Test
    void anOrderingTheBrokerCannotKeepIsReportedWithTheOnesItCan() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: sqs, source: q, credential_id: sqs-cred, ordering: partition}}
                  - {id: log, type: log, config: {message: hi}}
                edges: [{from: in, to: log}]
                """)).containsExactly("wf.yaml:3:109: error: AWS SQS cannot keep ordering 'partition'; it offers: none, key"
                + " (at $.nodes[0].config.ordering)");
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, source: q, credential_id: rabbit-cred, ordering: key}}
                  - {id: log, type: log, config: {message: hi}}
                edges: [{from: in, to: log}]
                """)).singleElement().asString().contains("RabbitMQ cannot keep ordering 'key'; it offers: none");
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: kafka, source: t, credential_id: kafka-cred, ordering: partition, threads: 8}}
                  - {id: log, type: log, config: {message: hi}}
                edges: [{from: in, to: log}]
                """)).isEmpty();
    }

    @Test
    void aReceiveBoundToAnExchangeWithoutSourceReadsAQueueOfTheWorkflowsOwn() {
        Workflow wf = Check.yaml("""
                id: audit
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, exchange: orders, exchange_type: fanout, credential_id: rabbit-cred}}
                  - {id: log, type: log, config: {message: hi}}
                edges: [{from: in, to: log}]
                """);
        assertThat(wf.trigger().address()).isEqualTo("orders.audit");
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: rabbitmq, credential_id: rabbit-cred}}
                  - {id: log, type: log, config: {message: hi}}
                edges: [{from: in, to: log}]
                """)).containsExactly("wf.yaml:3:45: error: receive_message config is missing required key 'source'"
                + " (or exchange) (at $.nodes[0].config)");
    }

    @Test
    void aDelayOrPriorityTheBrokerCannotKeepIsReportedWhereItIsWritten() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: k, type: send_message, config: {queue_type: kafka, destination: t, message: hi, credential_id: kafka-cred, delay: 30s}}
                  - {id: s, type: send_message, config: {queue_type: sqs, destination: q, message: hi, credential_id: sqs-cred, delay: 20m, priority: "5"}}
                  - {id: r, type: send_message, config: {queue_type: rabbitmq, destination: q, message: hi, credential_id: rabbit-cred, delay: soon, priority: high}}
                  - {id: ok, type: send_message, config: {queue_type: rabbitmq, destination: q, message: hi, credential_id: rabbit-cred, delay: "{{input.wait}}", priority: "{{input.p}}"}}
                edges: [{from: hook, to: k}, {from: k, to: s}, {from: s, to: r}, {from: r, to: ok}]
                """)).containsExactly(
                "wf.yaml:4:124: error: Apache Kafka cannot delay a message; send it to SQS (up to 15 minutes) or RabbitMQ"
                        + " instead, or send at a clock time from a schedule trigger (at $.nodes[1].config.delay)",
                "wf.yaml:5:120: error: delay 20m is more than AWS SQS allows (15m) (at $.nodes[2].config.delay)",
                "wf.yaml:5:135: error: AWS SQS has no message priority; RabbitMQ has (at $.nodes[2].config.priority)",
                "wf.yaml:6:128: error: delay 'soon' is not a duration like 500ms, 5s, 2m, 1h or 1m30s (at $.nodes[3].config.delay)",
                "wf.yaml:6:144: error: priority 'high' is not a whole number from 0 to 9 (at $.nodes[3].config.priority)");
    }

    @Test
    void aCompensationMustBeAnActionNodeOutsideTheGraph() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: a, type: log, compensate: nowhere, config: {message: a}}
                  - {id: b, type: log, compensate: b, config: {message: b}}
                  - {id: c, type: log, compensate: undo, config: {message: c}}
                  - {id: undo, type: log, config: {message: "undo after {{error.code}}"}}
                edges: [{from: hook, to: a}, {from: a, to: b}, {from: b, to: c}, {from: c, to: undo}]
                """)).containsExactly(
                "wf.yaml:4:36: error: compensate 'nowhere' is not a node id; nodes: hook, a, b, c, undo (at $.nodes[1].compensate)",
                "wf.yaml:5:36: error: node 'b' cannot be its own compensation (at $.nodes[2].compensate)",
                "wf.yaml:8:66: error: node 'undo' is the compensation of 'c' and runs only when a later node fails; it takes"
                        + " no edges (at $.edges[3])");
    }

    @Test
    void aReplyNeedsAReceiveMessageTrigger() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: answer, type: reply, config: {message: hi}}
                edges: [{from: hook, to: answer}]
                """)).containsExactly("wf.yaml:4:5: error: node 'answer' replies to the message that started the run, but"
                + " this workflow starts with webhook; a reply needs a receive_message trigger (a webhook or a call answers"
                + " with the run's output) (at $.nodes[1])");
    }

    @Test
    void unknownKeysListTheValidOnes() {
        assertThat(problems("""
                id: wf
                nodse: []
                nodes:
                  - id: hook
                    type: webhook
                    confg: {}
                  - id: out
                    type: send_message
                    config:
                      queue_type: sqs
                      destinaton: q
                      destination: q
                      message: hi
                      credential_id: sqs-cred
                edges:
                  - {from: hook, to: out, lable: x}
                """)).containsExactly(
                "wf.yaml:2:1: error: unknown key 'nodse' in workflow; valid keys: $schema, id, name, description,"
                        + " error_handling, nodes, edges (at $.nodse)",
                "wf.yaml:6:5: error: unknown key 'confg' in webhook node; valid keys: id, type, name, config,"
                        + " error_handling (at $.nodes[0].confg)",
                "wf.yaml:11:7: error: unknown key 'destinaton' in send_message config; valid keys: queue_type,"
                        + " destination, message, attributes, delay, priority, credential_id, message_group_id, deduplication_id, reply (at $.nodes[1].config.destinaton)",
                "wf.yaml:16:27: error: unknown key 'lable' in edge; valid keys: from, to, when, label (at $.edges[0].lable)");
    }

    @Test
    void bindingFieldsAreValidKeysForTheirQueueTypeOnly() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: out
                    type: send_message
                    config: {queue_type: sqs, destination: q, message: hi, credential_id: sqs-cred, key: k}
                edges:
                  - {from: hook, to: out}
                """)).containsExactly("wf.yaml:7:85: error: unknown key 'key' in send_message config; valid keys:"
                + " queue_type, destination, message, attributes, delay, priority, credential_id, message_group_id, deduplication_id, reply (at $.nodes[1].config.key)");
    }

    @Test
    void missingRequiredKeys() {
        assertThat(problems("""
                name: no id
                nodes:
                  - type: webhook
                  - id: out
                  - id: send
                    type: send_message
                    config:
                      queue_type: sqs
                """)).containsExactly(
                "wf.yaml:1:1: error: workflow is missing required key 'id' (at $)",
                "wf.yaml:3:5: error: node is missing required key 'id' (at $.nodes[0])",
                "wf.yaml:4:5: error: node is missing required key 'type' (at $.nodes[1])",
                "wf.yaml:8:7: error: send_message config is missing required key 'destination' (at $.nodes[2].config)",
                "wf.yaml:8:7: error: send_message config is missing required key 'message' (at $.nodes[2].config)",
                "wf.yaml:8:7: error: send_message config is missing required key 'credential_id' (at $.nodes[2].config)");
    }

    @Test
    void absentConfigIsReportedAtTheNode() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: wait
                    type: delay
                edges:
                  - {from: hook, to: wait}
                """)).containsExactly(
                "wf.yaml:5:5: error: delay config is missing required key 'duration' (at $.nodes[1].config)");
    }

    @Test
    void nodesMustBeANonEmptyList() {
        assertThat(problems("id: wf\nnodes: []\n")).containsExactly(
                "wf.yaml:2:8: error: nodes must be a non-empty list, got a list (at $.nodes)");
        assertThat(problems("id: wf\n")).containsExactly(
                "wf.yaml:1:1: error: workflow is missing required key 'nodes' (at $)");
        assertThat(problems("- id: wf\n")).containsExactly(
                "wf.yaml:1:1: error: a workflow must be an object with id and nodes, got a list (at $)");
    }

    @Test
    void unknownNodeTypeListsTheTypes() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhok
                """)).containsExactly(
                "wf.yaml:4:11: error: unknown node type 'webhok'; valid types: webhook, schedule, call, receive_message,"
                        + " send_message, http, condition, transform, log, delay, for_each, parallel, join, workflow, reply (at $.nodes[0].type)");
    }

    @Test
    void idsMustMatchThePatternAndBeUnique() {
        assertThat(problems("""
                id: my workflow
                nodes:
                  - id: hook
                    type: webhook
                  - id: hook
                    type: log
                    config: {message: hi}
                  - id: -bad
                    type: log
                    config: {message: hi}
                """)).containsExactly(
                "wf.yaml:1:5: error: id 'my workflow' must start with a letter or digit and hold only letters,"
                        + " digits, '_', '.' and '-' (at $.id)",
                "wf.yaml:5:9: error: duplicate node id 'hook' (first at 3:5) (at $.nodes[1].id)",
                "wf.yaml:8:9: error: id '-bad' must start with a letter or digit and hold only letters,"
                        + " digits, '_', '.' and '-' (at $.nodes[2].id)");
    }

    @Test
    void wrongTypesSayWhatWasExpectedAndWhatWasWritten() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: in
                    type: receive_message
                    name: 5
                    config:
                      queue_type: sqs
                      source: [q]
                      max_messages: ten
                      delete_after: "yes"
                      wait_time: 5
                      credential_id: sqs-cred
                  - id: out
                    type: http
                    config:
                      url: http://x
                      headers: {X-Retry: 3, X-Ok: "y"}
                edges:
                  - {from: in, to: out, when: "true"}
                """)).containsExactly(
                "wf.yaml:5:11: error: name must be a string, got 5 (at $.nodes[0].name)",
                "wf.yaml:8:15: error: source must be a string, got a list (at $.nodes[0].config.source)",
                "wf.yaml:9:21: error: max_messages must be a whole number, got \"ten\" (at $.nodes[0].config.max_messages)",
                "wf.yaml:10:21: error: delete_after must be true or false, got \"yes\" (at $.nodes[0].config.delete_after)",
                "wf.yaml:11:18: error: wait_time must be a duration like 500ms, 5s, 2m, 1h or 1m30s, got 5"
                        + " (at $.nodes[0].config.wait_time)",
                "wf.yaml:17:26: error: headers.X-Retry must be a string, got 3 (at $.nodes[1].config.headers.X-Retry)",
                "wf.yaml:19:31: error: when must be true or false, got \"true\" (at $.edges[0].when)");
    }

    @Test
    void maxDepthIsAWholeNumberFromZero() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: q, credential_id: sqs-cred, max_depth: -1}
                  - id: pull
                    type: receive_message
                    config: {queue_type: sqs, source: q, credential_id: sqs-cred, max_depth: lots}
                edges:
                  - {from: in, to: pull}
                """)).containsExactly(
                "wf.yaml:5:78: error: max_depth must be at least 0, got -1 (at $.nodes[0].config.max_depth)",
                "wf.yaml:8:78: error: max_depth must be a whole number, got \"lots\" (at $.nodes[1].config.max_depth)");
        Workflow wf = Check.yaml("""
                id: wf
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: q, credential_id: sqs-cred, max_depth: 0}
                """);
        assertThat(wf.trigger().config().number("max_depth")).isZero();
        assertThat(Check.yaml("""
                id: wf
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: q, credential_id: sqs-cred}
                """).trigger().config().has("max_depth")).isFalse();
    }

    @Test
    void rangesAndDurations() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: q, credential_id: sqs-cred, max_messages: 0, wait_time: 5 sec}
                  - id: a
                    type: delay
                    config: {duration: 2h}
                  - id: b
                    type: delay
                    config: {duration: 0s}
                  - id: c
                    type: delay
                    config: {duration: 1m30s}
                edges:
                  - {from: in, to: a}
                  - {from: a, to: b}
                  - {from: b, to: c}
                """)).containsExactly(
                "wf.yaml:5:81: error: max_messages must be between 1 and 1000, got 0 (at $.nodes[0].config.max_messages)",
                "wf.yaml:5:95: error: wait_time must be a duration like 500ms, 5s, 2m, 1h or 1m30s, got \"5 sec\""
                        + " (at $.nodes[0].config.wait_time)",
                "wf.yaml:8:24: error: duration must be at most 1h, got \"2h\" (at $.nodes[1].config.duration)",
                "wf.yaml:11:24: error: duration must be more than 0 and at most 1h, got \"0s\""
                        + " (at $.nodes[2].config.duration)");
    }

    @Test
    void durationsAreReadIntoJavaDurations() {
        assertThat(Durations.parse("500ms")).contains(Duration.ofMillis(500));
        assertThat(Durations.parse("1m30s")).contains(Duration.ofSeconds(90));
        assertThat(Durations.parse("1h")).contains(Duration.ofHours(1));
        assertThat(Durations.parse("2m")).contains(Duration.ofMinutes(2));
        assertThat(Durations.parse("5")).isEmpty();
        assertThat(Durations.parse("")).isEmpty();
        assertThat(Durations.parse("5s1m")).isEmpty();
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    }

    @Test
    void scheduleNeedsExactlyOneOfCronAndInterval() {
        String template = """
                id: wf
                nodes:
                  - id: tick
                    type: schedule
                    config: %s
                """;
        assertThat(problems(template.formatted("{payload: {a: 1}}"))).containsExactly(
                "wf.yaml:5:13: error: schedule config needs one of cron, interval (at $.nodes[0].config)");
        assertThat(problems(template.formatted("{cron: '0 * * * * ?', interval: 5s}"))).containsExactly(
                "wf.yaml:5:13: error: schedule config takes only one of cron, interval (at $.nodes[0].config)");
        assertThat(problems(template.formatted("{cron: '* * * * *'}"))).containsExactly(
                "wf.yaml:5:20: error: cron \"* * * * *\" is not a Quartz cron expression (seconds minutes hours"
                        + " day-of-month month day-of-week [year], e.g. \"0 0/5 * * * ?\"): Unexpected end of expression."
                        + " (at $.nodes[0].config.cron)");
        assertThat(problems(template.formatted("{interval: 0s}"))).containsExactly(
                "wf.yaml:5:24: error: interval must be more than 0, got \"0s\" (at $.nodes[0].config.interval)");

        assertThat(problems(template.formatted("{cron: '0 0 9 * * ?', timezone: Europe/Berln}"))).containsExactly(
                "wf.yaml:5:45: error: timezone \"Europe/Berln\" is not an IANA time zone (e.g. Europe/Berlin,"
                        + " America/New_York, UTC) (at $.nodes[0].config.timezone)");
        assertThat(problems(template.formatted("{cron: '0 0 9 * * ?', timezone: berlin}"))).containsExactly(
                "wf.yaml:5:45: error: timezone \"berlin\" is not an IANA time zone (e.g. Europe/Berlin,"
                        + " America/New_York, UTC); did you mean Europe/Berlin? (at $.nodes[0].config.timezone)");
        assertThat(problems(template.formatted("{interval: 5s, timezone: UTC}"))).containsExactly(
                "wf.yaml:5:38: error: timezone applies to cron; an interval runs at the same pace in every time zone"
                        + " (at $.nodes[0].config.timezone)");
        assertThat(Check.yaml(template.formatted("{cron: '0 0 9 * * ?', timezone: Asia/Tokyo}")).trigger().config()
                .string("timezone")).isEqualTo("Asia/Tokyo");

        Workflow wf = Check.yaml(template.formatted("{cron: '0 0/5 * * * ?', payload: {batch: [1, 2], on: true}}"));
        NodeConfig config = wf.trigger().config();
        assertThat(config.string("cron")).isEqualTo("0 0/5 * * * ?");
        assertThat(config.get("payload")).isEqualTo(Map.of("batch", List.of(1L, 2L), "on", true));
    }

    @Test
    void queueTypeAndChoicesListTheValidValues() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: call
                    type: http
                    config: {method: FETCH, url: "http://x"}
                  - id: say
                    type: log
                    config: {message: hi, level: loud}
                  - id: out
                    type: send_message
                    config: {queue_type: nats, destination: q, message: m, credential_id: sqs-cred}
                edges:
                  - {from: hook, to: call}
                  - {from: call, to: say}
                  - {from: say, to: out}
                """)).containsExactly(
                "wf.yaml:7:22: error: method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, got \"FETCH\""
                        + " (at $.nodes[1].config.method)",
                "wf.yaml:10:34: error: level must be one of trace, debug, info, warn, error, got \"loud\""
                        + " (at $.nodes[2].config.level)",
                "wf.yaml:13:26: error: queue_type must be one of " + String.join(", ", io.caravan.binding.Bindings.queueTypes())
                        + ", got \"nats\""
                        + " (at $.nodes[3].config.queue_type)");
    }

    @Test
    void credentialMustExistAndFitTheQueueType() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: a
                    type: send_message
                    config: {queue_type: sqs, destination: q, message: m, credential_id: nope}
                  - id: b
                    type: send_message
                    config: {queue_type: sqs, destination: q, message: m, credential_id: kafka-cred}
                edges:
                  - {from: hook, to: a}
                  - {from: a, to: b}
                """)).containsExactly(
                "wf.yaml:7:74: error: CREDENTIAL_NOT_FOUND: credential 'nope' not found; known credentials:"
                        + " sqs-cred, kafka-cred, rabbit-cred (at $.nodes[1].config.credential_id)",
                "wf.yaml:10:74: error: credential 'kafka-cred' is queue_kafka but queue_type sqs needs queue_aws_sqs"
                        + " (at $.nodes[2].config.credential_id)");
    }

    @Test
    void rabbitmqExchangeStandsInForDestination() {
        String template = """
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: out
                    type: send_message
                    config: {queue_type: rabbitmq, message: m, credential_id: rabbit-cred%s}
                edges:
                  - {from: hook, to: out}
                """;
        Workflow wf = Check.yaml(template.formatted(", exchange: events, routing_key: user.created"));
        assertThat(wf.node("out").orElseThrow().config().string("exchange")).isEqualTo("events");
        assertThat(wf.node("out").orElseThrow().config().has("destination")).isFalse();
        assertThat(problems(template.formatted(""))).containsExactly(
                "wf.yaml:7:13: error: send_message config is missing required key 'destination' (or exchange)"
                        + " (at $.nodes[1].config)");
    }

    @Test
    void edgesMustNameNodesAndConditionEdgesNeedWhen() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: check
                    type: condition
                    config: {expression: "{{input.ok}} == true"}
                  - id: ok-branch
                    type: log
                    config: {message: ok}
                edges:
                  - {from: hook, to: check, when: true}
                  - {from: check, to: ok-branch}
                  - {from: check, to: nowhere, when: false}
                """)).containsExactly(
                "wf.yaml:12:35: error: 'when' (or label) is only allowed on edges leaving a condition node; 'hook' is webhook"
                        + " (at $.edges[0].when)",
                "wf.yaml:13:5: error: edge from condition 'check' needs 'when: true' or 'when: false'"
                        + " (or label: \"true\" / \"false\") (at $.edges[1])",
                "wf.yaml:14:23: error: edge 'to' names no node 'nowhere'; known nodes: hook, check, ok-branch"
                        + " (at $.edges[2].to)");
    }

    @Test
    void seedConditionFormAddsItsEdges() {
        Workflow wf = Check.yaml("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: check
                    type: condition
                    condition: "{{hook.body.ok}} == true"
                    onTrue: good
                    onFalse: bad
                  - id: good
                    type: log
                    config: {message: ok}
                  - id: bad
                    type: log
                    config: {message: "not ok: {{check.result}}"}
                edges:
                  - {from: hook, to: check}
                  - {from: check, to: good, when: true}
                """);
        assertThat(wf.node("check").orElseThrow().config().string("expression")).isEqualTo("{{hook.body.ok}} == true");
        assertThat(wf.edges()).extracting(e -> e.from() + "->" + e.to() + ":" + e.when())
                .containsExactly("hook->check:null", "check->good:true", "check->bad:false");
        assertThat(wf.edges().get(2).location()).isEqualTo(new Location(9, 14, "$.nodes[1].onFalse"));
    }

    @Test
    void goraxWritesTheExpressionAsConfigConditionAndWhenAsALabel() {
        Workflow wf = Check.yaml("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: check, type: condition, config: {condition: "{{hook.body.ok}} == true"}}
                  - {id: good, type: log, config: {message: ok}}
                  - {id: bad, type: log, config: {message: nope}}
                edges:
                  - {from: hook, to: check}
                  - {from: check, to: good, label: "true"}
                  - {from: check, to: bad, label: "false"}
                """);
        assertThat(wf.node("check").orElseThrow().config().string("expression")).isEqualTo("{{hook.body.ok}} == true");
        assertThat(wf.edges()).extracting(e -> e.from() + "->" + e.to() + ":" + e.when())
                .containsExactly("hook->check:null", "check->good:true", "check->bad:false");
    }

    @Test
    void aLabelThatIsNotTrueOrFalseOrThatContradictsWhenIsAnError() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: check, type: condition, config: {condition: "{{input.a}}", expression: "{{input.b}}"}}
                  - {id: good, type: log, config: {message: ok}}
                  - {id: bad, type: log, config: {message: nope}}
                edges:
                  - {from: hook, to: check}
                  - {from: check, to: good, label: "yes"}
                  - {from: check, to: bad, label: "false", when: true}
                """)).containsExactly(
                "wf.yaml:4:43: error: config 'condition' and config 'expression' say the same thing; write only one"
                        + " (at $.nodes[1].config.condition)",
                "wf.yaml:9:5: error: edge from condition 'check' needs 'when: true' or 'when: false' (or label: \"true\""
                        + " / \"false\") (at $.edges[1])",
                "wf.yaml:9:36: error: label must be \"true\" or \"false\" (leaving a condition), \"each\" or \"done\""
                        + " (leaving a for_each) or \"error\" (taken when the node fails), got \"yes\" (at $.edges[1].label)",
                "wf.yaml:10:35: error: label \"false\" and when: true disagree; keep one of them (at $.edges[2].label)");
    }

    @Test
    void conditionWrittenTwiceOrPointingNowhere() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: check
                    type: condition
                    condition: "{{input.a}}"
                    onTrue: ghost
                    config: {expression: "{{input.b}}"}
                edges:
                  - {from: hook, to: check}
                """)).containsExactly(
                "wf.yaml:7:5: error: 'condition' and config 'expression' say the same thing; write only one"
                        + " (at $.nodes[1].condition)",
                "wf.yaml:8:13: error: onTrue names no node 'ghost'; known nodes: hook, check (at $.nodes[1].onTrue)");
    }

    @Test
    void exactlyOneTrigger() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: a
                    type: webhook
                  - id: b
                    type: schedule
                    config: {interval: 5s}
                  - id: c
                    type: receive_message
                    config: {queue_type: sqs, source: q, credential_id: sqs-cred}
                """)).containsExactly(
                "wf.yaml:3:3: error: workflow has 3 triggers (a, b, c); it needs exactly one (at $.nodes)");
        assertThat(problems("""
                id: wf
                nodes:
                  - id: say
                    type: log
                    config: {message: hi}
                """)).containsExactly("wf.yaml:3:3: error: workflow has no trigger; it needs exactly one webhook,"
                + " schedule, call or receive_message node with no incoming edge (at $.nodes)");
    }

    @Test
    void triggerWithIncomingEdge() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: say
                    type: log
                    config: {message: hi}
                edges:
                  - {from: hook, to: say}
                  - {from: say, to: hook}
                """)).containsExactly(
                "wf.yaml:3:5: error: cycle: hook -> say -> hook; a workflow runs each node at most once (at $.nodes[0])",
                "wf.yaml:10:5: error: edge into trigger 'hook' (webhook); a trigger starts the workflow and has no"
                        + " incoming edges (at $.edges[1])");
    }

    @Test
    void cyclesNameTheirNodes() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: a
                    type: log
                    config: {message: a}
                  - id: b
                    type: log
                    config: {message: b}
                  - id: c
                    type: log
                    config: {message: c}
                edges:
                  - {from: hook, to: a}
                  - {from: a, to: b}
                  - {from: b, to: c}
                  - {from: c, to: a}
                """)).containsExactly(
                "wf.yaml:5:5: error: cycle: a -> b -> c -> a; a workflow runs each node at most once (at $.nodes[1])");
    }

    @Test
    void nodesTheTriggerDoesNotReach() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: a
                    type: log
                    config: {message: a}
                  - id: orphan
                    type: log
                    config: {message: b}
                edges:
                  - {from: hook, to: a}
                """)).containsExactly("wf.yaml:8:5: error: node 'orphan' is not reached from trigger 'hook'; add an"
                + " edge to it or remove it (at $.nodes[2])");
    }

    @Test
    void templatesMustParseAndNameEarlierNodes() {
        assertThat(problems("""
                id: wf
                nodes:
                  - id: trigger-1
                    type: webhook
                  - id: action-1
                    type: http
                    config:
                      url: "https://api/{{trigger.body.id}}"
                      headers: {X-Id: "{{action-2.id}}"}
                  - id: action-2
                    type: transform
                    config:
                      template: '{"id": {{action-9.id}}, "now": "{{now}}", "in": {{input}}, "a": {{action-1.body}}}'
                  - id: action-3
                    type: log
                    config: {message: "{{action-1.x"}
                edges:
                  - {from: trigger-1, to: action-1}
                  - {from: action-1, to: action-2}
                  - {from: action-2, to: action-3}
                """)).containsExactly(
                "wf.yaml:9:23: error: {{action-2.id}} names no earlier node; earlier nodes: trigger-1"
                        + " (at $.nodes[1].config.headers.X-Id)",
                "wf.yaml:13:17: error: {{action-9.id}} names no earlier node; earlier nodes: trigger-1, action-1"
                        + " (at $.nodes[2].config.template)",
                "wf.yaml:16:23: error: message is not a valid template: '{{' at 0 is never closed with '}}'"
                        + " (at $.nodes[3].config.message)");
    }

    @Test
    void conditionExpressionsAreReadByTheGivenChecker() {
        List<String> seen = new ArrayList<>();
        ExpressionChecker checker = expression -> {
            seen.add(expression);
            return List.of(new Reference("later", List.of("x"), "later.x", 0));
        };
        String yaml = """
                id: wf
                nodes:
                  - id: hook
                    type: webhook
                  - id: check
                    type: condition
                    condition: "later.x > 3"
                  - id: later
                    type: log
                    config: {message: hi}
                edges:
                  - {from: hook, to: check}
                  - {from: check, to: later, when: true}
                """;
        ParsedFile parsed = SourceParser.parse(yaml.getBytes(StandardCharsets.UTF_8), SourceParser.Format.YAML,
                "wf.yaml");
        List<String> problems = new ArrayList<>();
        try {
            new WorkflowValidator(TestBindings.ALL, TestBindings.CREDENTIALS, checker).validate(parsed);
        } catch (InvalidFileException e) {
            e.diagnostics().forEach(d -> problems.add(d.format()));
        }
        assertThat(seen).containsExactly("later.x > 3");
        assertThat(problems).containsExactly("wf.yaml:7:16: error: {{later.x}} names no earlier node; earlier"
                + " nodes: hook (at $.nodes[1].condition)");
    }

    @Test
    void aForEachNeedsABodyThatIsEnteredOnlyThroughItsEachEdges() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: loop, type: for_each, config: {items: "{{input.rows}}"}}
                  - {id: empty, type: for_each, config: {items: "{{input.rows}}"}}
                  - {id: per-item, type: log, config: {message: "{{loop.item}} {{loop.index}}"}}
                  - {id: after, type: log, config: {message: "{{loop.count}} {{per-item}}"}}
                edges:
                  - {from: hook, to: loop}
                  - {from: hook, to: empty}
                  - {from: loop, to: per-item, label: each}
                  - {from: loop, to: after, label: done}
                  - {from: hook, to: per-item}
                  - {from: after, to: per-item, label: each}
                """)).containsExactly(
                "wf.yaml:5:5: error: for_each 'empty' has no loop body; add an edge from it with label: each to the"
                        + " first node to run per item (at $.nodes[2])",
                "wf.yaml:7:46: error: {{per-item}} names no earlier node; earlier nodes: hook, loop (at $.nodes[4].config.message)",
                "wf.yaml:13:5: error: edge hook -> per-item enters the loop body of for_each 'loop' from outside; a"
                        + " body node runs once per item and is reached only through the for_each's each edges (at $.edges[4])",
                "wf.yaml:14:5: error: edge after -> per-item enters the loop body of for_each 'loop' from outside; a"
                        + " body node runs once per item and is reached only through the for_each's each edges (at $.edges[5])",
                "wf.yaml:14:40: error: label \"each\" is only allowed on edges leaving a for_each node; 'after' is log"
                        + " (at $.edges[5].label)");
    }

    @Test
    void errorEdgesLeaveActionsAndOnlyTheirBranchSeesTheError() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: call, type: http, config: {url: "http://x/{{input.id}}"}}
                  - {id: ok, type: log, config: {message: "{{call.status}} {{error.code}}"}}
                  - {id: oops, type: log, config: {message: "{{error.code}} {{error.node}}"}}
                edges:
                  - {from: hook, to: call}
                  - {from: hook, to: oops, label: error}
                  - {from: call, to: ok}
                  - {from: call, to: oops, label: error, when: true}
                """)).containsExactly(
                "wf.yaml:5:43: error: {{error.code}} is only known on an error branch (after an edge with label: error)"
                        + " (at $.nodes[2].config.message)",
                "wf.yaml:9:5: error: a trigger has no error branch: 'hook' starts the run, and its failures are the"
                        + " run's (see error_handling) (at $.edges[1])",
                "wf.yaml:11:35: error: label \"error\" and when: true cannot go together (at $.edges[3].label)");
    }

    @Test
    void parallelBranchesMeetAtOneJoinAndAreEnteredOnlyFromTheirParallel() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: fork, type: parallel}
                  - {id: a, type: log, config: {message: a}}
                  - {id: b, type: log, config: {message: b}}
                  - {id: shared, type: log, config: {message: s}}
                  - {id: meet, type: join, config: {wait: any, timeout: 5s}}
                  - {id: after, type: log, config: {message: "{{meet.a}} {{b}}"}}
                  - {id: lonely, type: join}
                  - {id: one, type: parallel}
                  - {id: c, type: log, config: {message: c}}
                edges:
                  - {from: hook, to: fork}
                  - {from: fork, to: a}
                  - {from: fork, to: b}
                  - {from: a, to: shared}
                  - {from: b, to: shared}
                  - {from: shared, to: meet}
                  - {from: hook, to: b}
                  - {from: meet, to: after}
                  - {from: after, to: lonely}
                  - {from: hook, to: one}
                  - {from: one, to: c}
                """)).containsExactly(
                "wf.yaml:7:5: error: node 'shared' is on two branches of parallel 'fork' (from 'a' and from 'b');"
                        + " branches meet only at their join 'meet' (at $.nodes[4])",
                "wf.yaml:9:46: error: {{b}} names no earlier node; earlier nodes: hook, fork, meet (at $.nodes[6].config.message)",
                "wf.yaml:10:5: error: join 'lonely' ends no parallel; every branch of a parallel node must lead to it (at $.nodes[7])",
                "wf.yaml:11:5: error: parallel 'one' has 1 outgoing edge; it needs one per branch, at least two (at $.nodes[8])",
                "wf.yaml:20:5: error: edge hook -> b enters the branch from 'b' of parallel 'fork' from outside it; a"
                        + " branch is reached only from its parallel (at $.edges[6])");
    }

    @Test
    void aParallelsEdgesTakeNoLabelAndItsJoinTakesOnlyItsBranches() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: fork, type: parallel}
                  - {id: a, type: log, config: {message: a}}
                  - {id: b, type: log, config: {message: b}}
                  - {id: meet, type: join}
                  - {id: other, type: log, config: {message: x}}
                edges:
                  - {from: hook, to: fork}
                  - {from: fork, to: a}
                  - {from: fork, to: b, label: each}
                  - {from: a, to: meet}
                  - {from: b, to: other}
                  - {from: other, to: meet, label: error}
                  - {from: hook, to: meet}
                """)).containsExactly(
                "wf.yaml:12:5: error: edge fork -> b has label \"each\"; the edges of a parallel start its branches and"
                        + " take no label (at $.edges[2])",
                "wf.yaml:12:32: error: label \"each\" is only allowed on edges leaving a for_each node; 'fork' is"
                        + " parallel (at $.edges[2].label)",
                "wf.yaml:16:5: error: edge hook -> meet leads into join 'meet' from outside the branches of parallel"
                        + " 'fork' (at $.edges[6])");
    }

    @Test
    void aParallelWhoseBranchesNeverMeetIsAnError() {
        assertThat(problems("""
                id: wf
                nodes:
                  - {id: hook, type: webhook}
                  - {id: fork, type: parallel}
                  - {id: a, type: log, config: {message: a}}
                  - {id: b, type: log, config: {message: b}}
                  - {id: meet, type: join}
                edges:
                  - {from: hook, to: fork}
                  - {from: fork, to: a}
                  - {from: fork, to: b}
                  - {from: a, to: meet}
                """)).containsExactly(
                "wf.yaml:4:5: error: the branches of parallel 'fork' (starting at a, b) never meet at one join node;"
                        + " end every branch with an edge to the same join (at $.nodes[1])",
                "wf.yaml:7:5: error: join 'meet' ends no parallel; every branch of a parallel node must lead to it"
                        + " (at $.nodes[4])");
    }

    @Test
    void aCalledWorkflowHasNoDeadLetter() {
        assertThat(problems("""
                id: wf
                error_handling:
                  dead_letter: {queue_type: kafka, destination: dlq, credential_id: kafka-cred}
                nodes:
                  - {id: called, type: call}
                  - {id: say, type: log, config: {message: "{{input.id}} from {{trigger.caller.workflow_id}}"}}
                edges:
                  - {from: called, to: say}
                """)).containsExactly(
                "wf.yaml:3:16: error: a called workflow has no dead letter: its failure goes back to the workflow that"
                        + " called it, whose error handling applies (an async call's failure is logged and counted)"
                        + " (at $.error_handling.dead_letter)");
    }
}
