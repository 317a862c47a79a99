package io.caravan.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The idempotency block: where it may stand, its fields per store, each problem at its place. */
class IdempotencyValidationTest {

    private static final String EDGES = """
              - {id: out, type: log, config: {message: "{{input}}"}}
            edges: [{from: in, to: out}]
            """;

    private static String receiving(String block) {
        return """
                id: idem
                nodes:
                  - id: in
                    type: receive_message
                    config: {queue_type: sqs, source: orders, credential_id: sqs-cred}
                    idempotency:
                """ + block.indent(6) + EDGES;
    }

    @Test
    void readsEachStoreWithItsDefaults() {
        Idempotency memory = Check.yaml(receiving("key: \"{{input.order_id}}\"")).trigger().idempotency();
        assertThat(memory).isEqualTo(new Idempotency("{{input.order_id}}", "memory", 10_000, null, null, null, null, null, null));

        Idempotency redis = Check.yaml(receiving("{key: \"{{trigger.id}}\", store: redis, url: \"redis://127.0.0.1:6379\"}"))
                .trigger().idempotency();
        assertThat(redis.ttl()).isEqualTo(Duration.ofHours(24));
        assertThat(redis.lease()).isEqualTo(Duration.ofSeconds(30));
        assertThat(redis.url()).isEqualTo("redis://127.0.0.1:6379");

        Idempotency jdbc = Check.yaml(receiving("{key: \"{{input.id}}-{{now}}\", store: jdbc, url: \"${PG_URL}\","
                + " user: app, password: \"${PG_PASSWORD}\"}")).trigger().idempotency();
        assertThat(jdbc.table()).isEqualTo("caravan_processed");
        assertThat(jdbc.password()).isEqualTo("${PG_PASSWORD}");
        assertThat(jdbc.toString()).doesNotContain("PG_PASSWORD");
    }

    @Test
    void reportsEveryFieldProblemWithItsPlace() {
        String yaml = receiving("""
                key: "{{out.id}} {{input.x"
                store: memory
                max_entries: 0
                ttl: 1h
                size: 3
                """);
        assertThat(Check.problems(yaml)).containsExactly(
                "wf.yaml:7:12: error: key is not a valid template: '{{' at 11 is never closed with '}}' (at $.nodes[0].idempotency.key)",
                "wf.yaml:9:20: error: max_entries must be between 1 and 10000000, got 0 (at $.nodes[0].idempotency.max_entries)",
                "wf.yaml:10:7: error: 'ttl' applies to store redis, not memory (at $.nodes[0].idempotency.ttl)",
                "wf.yaml:11:7: error: unknown key 'size' in idempotency; valid keys: key, store, max_entries, ttl, lease, url, user, password, table (at $.nodes[0].idempotency.size)");
    }

    @Test
    void theKeyReadsOnlyWhatTheTriggerGaveAndMustVary() {
        assertThat(Check.problems(receiving("key: \"{{out.id}}\""))).containsExactly(
                "wf.yaml:7:12: error: idempotency key may only read input, trigger or now (it is computed before any other"
                        + " node runs), not {{out.id}} (at $.nodes[0].idempotency.key)");
        assertThat(Check.problems(receiving("key: fixed"))).containsExactly(
                "wf.yaml:7:12: error: idempotency key \"fixed\" has no {{...}} reference: every message after the first"
                        + " would be a duplicate; use e.g. {{input.order_id}} or {{trigger.id}} (at $.nodes[0].idempotency.key)");
        assertThat(Check.problems(receiving("store: memory"))).containsExactly(
                "wf.yaml:7:7: error: idempotency is missing required key 'key' (at $.nodes[0].idempotency)");
    }

    @Test
    void checksTheFieldsOfTheChosenStore() {
        assertThat(Check.problems(receiving("{key: \"{{trigger.id}}\", store: redis, ttl: 0s, max_entries: 5}"))).containsExactly(
                "wf.yaml:7:7: error: idempotency with store redis is missing required key 'url' (at $.nodes[0].idempotency)",
                "wf.yaml:7:50: error: ttl must be more than 0, got \"0s\" (at $.nodes[0].idempotency.ttl)",
                "wf.yaml:7:54: error: 'max_entries' applies to store memory, not redis (at $.nodes[0].idempotency.max_entries)");
        assertThat(Check.problems(receiving("""
                key: "{{input.id}}"
                store: jdbc
                url: "postgres://h/db"
                password: 42
                table: "t; drop table x"
                """))).containsExactly(
                "wf.yaml:9:12: error: url for store jdbc must start with jdbc: or be an environment reference like"
                        + " ${IDEMPOTENCY_URL} (at $.nodes[0].idempotency.url)",
                "wf.yaml:10:17: error: password must be a string, got another value (at $.nodes[0].idempotency.password)",
                "wf.yaml:11:14: error: table must be a plain SQL name (letters, digits and '_', not starting with a digit,"
                        + " at most 56), got \"t; drop table x\" (at $.nodes[0].idempotency.table)");
        assertThat(Check.problems(receiving("{key: \"{{input.id}}\", store: mongo}"))).containsExactly(
                "wf.yaml:7:36: error: store must be one of memory, redis, jdbc, got \"mongo\" (at $.nodes[0].idempotency.store)");
    }

    @Test
    void aSecretIsAnEnvironmentReferenceNeverLiteralText() {
        assertThat(Check.problems(receiving("""
                key: "{{input.id}}"
                store: jdbc
                url: "jdbc:postgresql://h/db?user=app&password=hunter2"
                user: app
                password: hunter2
                """))).containsExactly(
                "wf.yaml:9:12: error: url for store jdbc holds a password: write the url as an environment reference like"
                        + " ${IDEMPOTENCY_URL}, so that no secret is in the workflow file or in the routes caravan compile"
                        + " prints (at $.nodes[0].idempotency.url)",
                "wf.yaml:11:17: error: password must be an environment reference like ${DB_PASSWORD}, so that no secret is"
                        + " in the workflow file or in the routes caravan compile prints (at $.nodes[0].idempotency.password)");
        assertThat(Check.problems(receiving("{key: \"{{input.id}}\", store: redis, url: \"redis://:pw@h:6379\"}")))
                .singleElement().asString().contains("holds a password").doesNotContain("pw@");
        assertThat(Check.problems(receiving("{key: \"{{input.id}}\", store: jdbc, url: \"${PG_URL}\", password: \"${PG_PW}\"}")))
                .isEmpty();
    }

    @Test
    void standsOnlyOnAReceivingTrigger() {
        assertThat(Check.problems("""
                id: idem
                nodes:
                  - {id: hook, type: webhook, idempotency: {key: "{{input.id}}"}}
                  - id: pull
                    type: receive_message
                    config: {queue_type: sqs, source: orders, credential_id: sqs-cred}
                    idempotency: {key: "{{input.id}}"}
                edges: [{from: hook, to: pull}]
                """)).containsExactly(
                "wf.yaml:3:31: error: unknown key 'idempotency' in webhook node; valid keys: id, type, name, config,"
                        + " error_handling (at $.nodes[0].idempotency)",
                "wf.yaml:7:5: error: idempotency applies only to a receive_message trigger; 'pull' is not the first node"
                        + " (the trigger is 'hook') (at $.nodes[1].idempotency)");
        assertThat(Check.problems(receiving("[key]"))).containsExactly(
                "wf.yaml:7:7: error: idempotency must be an object with key and store, got a list (at $.nodes[0].idempotency)");
    }
}
