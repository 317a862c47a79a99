package io.caravan.testing;

import io.caravan.runtime.CaravanRuntime;
import io.caravan.runtime.RuntimeOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The Caravan home the broker TLS tests share: credentials {@code tls} (the right password and
 * the server's certificate as tls_ca_file), {@code wrong} (a wrong password) and
 * {@code untrusted} (no tls_ca_file); a relay {@code tls-relay} from {@code tls-in} to
 * {@code tls-out} on {@code tls}, and webhooks {@code send-wrong} and {@code send-untrusted} that
 * send to {@code tls-out} with the other two.
 */
public final class TlsRelayHome {

    private TlsRelayHome() {
    }

    /**
     * @param urlWithPassword the broker's TLS URL with one {@code %s} where the password goes
     */
    public static CaravanRuntime start(Path home, String queueType, String urlWithPassword, String password,
                                       String wrongPassword, Path certificate) throws Exception {
        String type = "queue_" + queueType;
        Files.createDirectories(home.resolve("config"));
        Files.writeString(home.resolve("config/credentials.yaml"), """
                tls: {type: %1$s, url: "%2$s", tls_ca_file: "%5$s"}
                wrong: {type: %1$s, url: "%3$s", tls_ca_file: "%5$s"}
                untrusted: {type: %1$s, url: "%4$s"}
                """.formatted(type, urlWithPassword.formatted(password), urlWithPassword.formatted(wrongPassword),
                urlWithPassword.formatted(password), certificate));
        Path workflows = Files.createDirectories(home.resolve("workflows"));
        Files.writeString(workflows.resolve("relay.yaml"), """
                id: tls-relay
                nodes:
                  - {id: in, type: receive_message, config: {queue_type: %1$s, source: tls-in, credential_id: tls}}
                  - {id: out, type: send_message, config: {queue_type: %1$s, destination: tls-out, message: "{{input}}", credential_id: tls}}
                edges: [{from: in, to: out}]
                """.formatted(queueType));
        for (String credential : new String[] {"wrong", "untrusted"}) {
            Files.writeString(workflows.resolve(credential + ".yaml"), """
                    id: send-%1$s
                    nodes:
                      - {id: hook, type: webhook}
                      - {id: out, type: send_message, config: {queue_type: %2$s, destination: tls-out, message: "{{input}}", credential_id: %1$s}}
                    edges: [{from: hook, to: out}]
                    """.formatted(credential, queueType));
        }
        return CaravanRuntime.create(RuntimeOptions.defaults(home).withProperties(Map.of(
                "caravan.http.port", String.valueOf(Ports.free()),
                "caravan.management.port", String.valueOf(Ports.free())))).start();
    }
}
