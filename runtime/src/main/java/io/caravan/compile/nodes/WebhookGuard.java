package io.caravan.compile.nodes;

import io.caravan.binding.Bindings;
import io.caravan.webhook.Cidr;
import io.caravan.webhook.WebhookAuth;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.camel.Exchange;

/**
 * What a webhook request must pass before anything runs: its caller's address against
 * {@code allowed_ips} (403), its body against {@code max_body} (413), and its proof of who it is
 * against {@code auth} (401): an HMAC-SHA256 of the raw body in a header, as GitHub's
 * {@code X-Hub-Signature-256} (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries),
 * optionally over {@code <timestamp>.<body>} with the timestamp in a header of its own and a
 * tolerance against replay, as Stripe signs (https://docs.stripe.com/webhooks#verify-manually);
 * an API key in a header; or HTTP basic authentication. Secrets are compared in constant time
 * ({@link MessageDigest#isEqual}) and never repeated in an answer or a log line.
 */
final class WebhookGuard {

    /** How platform-http (Vert.x) gives the caller's address. */
    static final String REMOTE_ADDRESS = "CamelVertxPlatformHttpRemoteAddress";

    /** Why a request may not run: the status, a code for the answer, and what to tell the caller. */
    public record Rejection(int status, String code, String message, Map<String, String> headers) {
    }

    private final String workflowId;
    private final String type;
    private final String credentialBean;
    private final String header;
    private final String timestampHeader;
    private final Duration tolerance;
    private final List<Cidr> allowed;
    private final long maxBody;

    private WebhookGuard(String workflowId, String type, String credentialId, String header, String timestampHeader,
                         Duration tolerance, List<Cidr> allowed, long maxBody) {
        this.workflowId = workflowId;
        this.type = type;
        this.credentialBean = credentialId == null ? null : Bindings.beanName(credentialId);
        this.header = header;
        this.timestampHeader = timestampHeader;
        this.tolerance = tolerance;
        this.allowed = allowed;
        this.maxBody = maxBody;
    }

    /** The guard of a validated webhook node's {@code auth}, {@code allowed_ips} and {@code max_body}. */
    public static WebhookGuard of(String workflowId, Object auth, Object allowedIps, Object maxBody) {
        Map<?, ?> a = auth instanceof Map<?, ?> m ? m : Map.of();
        String type = a.get(WebhookAuth.TYPE.name()) instanceof String t ? t : WebhookAuth.NONE;
        String header = a.get(WebhookAuth.HEADER.name()) instanceof String h ? h
                : type.equals(WebhookAuth.API_KEY) ? WebhookAuth.API_KEY_HEADER : WebhookAuth.HMAC_HEADER;
        List<Cidr> allowed = allowedIps instanceof List<?> ips
                ? ips.stream().map(ip -> Cidr.parse(String.valueOf(ip)).orElseThrow()).toList() : List.of();
        return new WebhookGuard(workflowId, type, (String) a.get(WebhookAuth.CREDENTIAL_ID.name()), header,
                (String) a.get(WebhookAuth.TIMESTAMP_HEADER.name()),
                a.get(WebhookAuth.TOLERANCE.name()) instanceof Duration d ? d : (Duration) WebhookAuth.TOLERANCE.defaultValue(),
                allowed, maxBody instanceof Long n ? n : (Long) WebhookAuth.MAX_BODY.defaultValue());
    }

    /** Whether anybody may call (auth none): said at start. */
    public boolean open() {
        return type.equals(WebhookAuth.NONE);
    }

    /** Empty when the request may run; {@code body} is the raw body, or null when the server parsed it (a form). */
    public Optional<Rejection> check(Exchange exchange, byte[] body) {
        if (!allowed.isEmpty()) {
            String caller = callerAddress(exchange);
            if (caller == null || allowed.stream().noneMatch(c -> c.contains(caller))) {
                return reject(403, "FORBIDDEN", "address " + caller + " is not in the webhook's allowed_ips");
            }
        }
        if (body != null && body.length > maxBody) {
            return reject(413, "PAYLOAD_TOO_LARGE", "the body has " + body.length + " bytes; this webhook takes at most "
                    + maxBody);
        }
        return switch (type) {
            case WebhookAuth.HMAC -> hmac(exchange, body);
            case WebhookAuth.API_KEY -> apiKey(exchange);
            case WebhookAuth.BASIC -> basic(exchange);
            default -> Optional.empty();
        };
    }

    private Optional<Rejection> hmac(Exchange exchange, byte[] body) {
        if (body == null) {
            return reject(415, "UNSUPPORTED_MEDIA_TYPE", "a signed webhook needs the raw body: send it as JSON or text,"
                    + " not as a form (the server parses a form before it can be checked)");
        }
        String given = exchange.getIn().getHeader(header, String.class);
        if (given == null) {
            return unauthorized("no " + header + " header");
        }
        byte[] signed = body;
        if (timestampHeader != null) {
            String ts = exchange.getIn().getHeader(timestampHeader, String.class);
            long seconds;
            try {
                seconds = Long.parseLong(String.valueOf(ts).strip());
            } catch (NumberFormatException e) {
                return unauthorized("no Unix time in the " + timestampHeader + " header");
            }
            long skew = Math.abs(System.currentTimeMillis() / 1000 - seconds);
            if (skew > tolerance.toSeconds()) {
                return unauthorized("the request's time is " + skew + " s from now, more than the tolerance of "
                        + tolerance.toSeconds() + " s (a replay?)");
            }
            byte[] prefix = (seconds + ".").getBytes(StandardCharsets.UTF_8);
            signed = new byte[prefix.length + body.length];
            System.arraycopy(prefix, 0, signed, 0, prefix.length);
            System.arraycopy(body, 0, signed, prefix.length, body.length);
        }
        String expected = "sha256=" + HexFormat.of().formatHex(hmacSha256(secret().secret(), signed));
        if (!MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                given.strip().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8))) {
            return unauthorized("the " + header + " signature does not match the body");
        }
        return Optional.empty();
    }

    private Optional<Rejection> apiKey(Exchange exchange) {
        String given = exchange.getIn().getHeader(header, String.class);
        if (given == null || !MessageDigest.isEqual(secret().secret().getBytes(StandardCharsets.UTF_8),
                given.getBytes(StandardCharsets.UTF_8))) {
            return unauthorized(given == null ? "no " + header + " header" : "the " + header + " header holds another key");
        }
        return Optional.empty();
    }

    private Optional<Rejection> basic(Exchange exchange) {
        String given = exchange.getIn().getHeader("Authorization", String.class);
        boolean ok = false;
        if (given != null && given.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String pair = new String(Base64.getDecoder().decode(given.substring(6).strip()), StandardCharsets.UTF_8);
                int colon = pair.indexOf(':');
                WebhookAuth.Secret s = secret();
                // both compared, whatever the first says: the time taken tells nothing
                boolean user = colon >= 0 && MessageDigest.isEqual(pair.substring(0, colon).getBytes(StandardCharsets.UTF_8),
                        s.username().getBytes(StandardCharsets.UTF_8));
                boolean password = colon >= 0 && MessageDigest.isEqual(pair.substring(colon + 1).getBytes(StandardCharsets.UTF_8),
                        s.password().getBytes(StandardCharsets.UTF_8));
                ok = user & password;
            } catch (IllegalArgumentException notBase64) {
                ok = false;
            }
        }
        if (!ok) {
            return Optional.of(new Rejection(401, "UNAUTHORIZED", given == null ? "no Authorization header"
                    : "the user name or password is wrong", Map.of("WWW-Authenticate", "Basic realm=\"caravan webhook "
                    + workflowId + "\"")));
        }
        return Optional.empty();
    }

    private WebhookAuth.Secret secret;

    /** The credential's values, from the registry where the deployer bound them. */
    private synchronized WebhookAuth.Secret secret() {
        if (secret == null) {
            throw new IllegalStateException("the webhook's credential is not bound");
        }
        return secret;
    }

    /** Looks the credential up once the route runs in a context (the deployer binds it before). */
    public synchronized void bind(org.apache.camel.CamelContext context) {
        if (credentialBean != null && secret == null) {
            secret = context.getRegistry().lookupByNameAndType(credentialBean, WebhookAuth.Secret.class);
        }
    }

    static byte[] hmacSha256(String key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(data);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    private static String callerAddress(Exchange exchange) {
        Object address = exchange.getIn().getHeader(REMOTE_ADDRESS);
        if (address instanceof io.vertx.core.net.SocketAddress socket) {
            return socket.hostAddress();
        }
        return null;
    }

    private static Optional<Rejection> unauthorized(String why) {
        return reject(401, "UNAUTHORIZED", why);
    }

    private static Optional<Rejection> reject(int status, String code, String message) {
        return Optional.of(new Rejection(status, code, message, Map.of()));
    }
}
