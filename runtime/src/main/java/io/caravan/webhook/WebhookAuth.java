package io.caravan.webhook;

import io.caravan.credential.Credential;
import io.caravan.spec.CredentialSpec;
import io.caravan.spec.Field;
import java.time.Duration;
import java.util.List;

/**
 * Who may call a webhook, declared once: the {@code auth}, {@code allowed_ips} and {@code max_body}
 * fields of a webhook node, and the {@code webhook_secret} credential type whose values the checks
 * use. The secret is in the credentials file, never in a workflow.
 */
public final class WebhookAuth {

    public static final String NONE = "none";
    public static final String HMAC = "hmac";
    public static final String API_KEY = "api_key";
    public static final String BASIC = "basic";

    /** GitHub's header and form: {@code sha256=<hex of HMAC-SHA256 of the raw body>}. */
    public static final String HMAC_HEADER = "X-Hub-Signature-256";
    public static final String API_KEY_HEADER = "X-API-Key";

    public static final CredentialSpec CREDENTIAL = new CredentialSpec("webhook_secret",
            "what a webhook's callers must prove they know (auth on a webhook node)", List.of(
            Field.string("secret", "hmac: the key bodies are signed with; api_key: the key callers send").asSecret()
                    .withExample("${GITHUB_HOOK_SECRET}"),
            Field.string("username", "basic: the user callers send").withExample("billing"),
            Field.string("password", "basic: that user's password").asSecret().withExample("${HOOK_PASSWORD}")));

    public static final Field TYPE = Field.choice("type", List.of(NONE, HMAC, API_KEY, BASIC),
            "how callers prove who they are; none lets anybody in (and says so at start)").withDefault(NONE);
    public static final Field CREDENTIAL_ID = Field.of("credential_id", Field.Kind.CREDENTIAL_ID,
            "a webhook_secret credential holding the secret (hmac, api_key) or username and password (basic)")
            .withExample("github-hook");
    public static final Field HEADER = Field.string("header", "hmac: the header with sha256=<hex of HMAC-SHA256 of the"
            + " raw body> (default " + HMAC_HEADER + ", as GitHub sends); api_key: the header with the key (default "
            + API_KEY_HEADER + ")").withExample(HMAC_HEADER);
    public static final Field TIMESTAMP_HEADER = Field.string("timestamp_header", "hmac: a header with the request's"
            + " Unix time in seconds; the signature then covers <timestamp>.<body>, and an older request than tolerance"
            + " is refused, so a captured request cannot be replayed (as Stripe signs)").withExample("X-Signature-Timestamp");
    public static final Field TOLERANCE = Field.duration("tolerance", "with timestamp_header: how far a request's time"
            + " may be from now").mustBePositive().withDefault(Duration.ofMinutes(5));
    public static final Field AUTH = Field.object("auth", List.of(TYPE, CREDENTIAL_ID, HEADER, TIMESTAMP_HEADER, TOLERANCE),
            "who may call the webhook; a request that fails gets 401 and runs nothing").withExample("{type: hmac,"
            + " credential_id: github-hook}");
    public static final Field ALLOWED_IPS = Field.of("allowed_ips", Field.Kind.STRING_LIST, "callers' addresses let"
            + " in, as CIDR ranges or single addresses; others get 403; unset: any").withExample("[10.0.0.0/8, 192.0.2.7]");
    public static final Field MAX_BODY = Field.size("max_body", "largest request body; a larger one gets 413")
            .atLeast(1).withDefault(1_048_576L).withExample("256KiB");

    private WebhookAuth() {
    }

    /**
     * A webhook_secret credential as the webhook checks use it, bound in the registry under the
     * credential's bean name. Its toString shows no value.
     */
    public record Secret(String secret, String username, String password) {

        public static Secret of(Credential credential) {
            return new Secret(credential.string("secret"), credential.string("username"), credential.string("password"));
        }

        @Override
        public String toString() {
            return "WebhookAuth.Secret[******]";
        }
    }
}
