package io.caravan.runtime.management;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import javax.management.remote.JMXPrincipal;
import org.junit.jupiter.api.Test;

/** Remote JMX settings and the login check, without starting anything. */
class RemoteJmxTest {

    private static Properties props(Map<String, String> values) {
        Properties p = new Properties();
        p.putAll(values);
        return p;
    }

    @Test
    void offUnlessAPortIsSet() {
        assertThat(RemoteJmx.fromProperties(props(Map.of("caravan.jmx.user", "u", "caravan.jmx.password", "p")))).isNull();
    }

    @Test
    void aPortWithoutUserOrPasswordStopsStartUpNamingTheMissingKeys() {
        assertThatThrownBy(() -> RemoteJmx.fromProperties(props(Map.of("caravan.jmx.port", "9010"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing: caravan.jmx.user, caravan.jmx.password");
        assertThatThrownBy(() -> RemoteJmx.fromProperties(props(Map.of("caravan.jmx.port", "9010", "caravan.jmx.user", "ops"))))
                .hasMessageContaining("missing: caravan.jmx.password");
        assertThatThrownBy(() -> RemoteJmx.fromProperties(props(Map.of("caravan.jmx.port", "9010",
                "caravan.jmx.password", "s3cret-value", "caravan.jmx.user", " "))))
                .hasMessageContaining("missing: caravan.jmx.user").hasMessageNotContaining("s3cret-value");
        assertThatThrownBy(() -> RemoteJmx.fromProperties(props(Map.of("caravan.jmx.port", "nine",
                "caravan.jmx.user", "ops", "caravan.jmx.password", "pw"))))
                .hasMessageContaining("caravan.jmx.port must be a TCP port");
    }

    @Test
    void registryAndServerShareOnePortOnLoopbackByDefault() throws Exception {
        RemoteJmx remote = RemoteJmx.fromProperties(props(Map.of("caravan.jmx.port", "9010",
                "caravan.jmx.user", "ops", "caravan.jmx.password", "pw")));
        assertThat(remote.serviceUrl().toString())
                .isEqualTo("service:jmx:rmi://127.0.0.1:9010/jndi/rmi://127.0.0.1:9010/jmxrmi");
    }

    @Test
    void theAuthenticatorAcceptsOnlyTheConfiguredLogin() {
        PasswordAuthenticator auth = new PasswordAuthenticator("ops", "pw");
        assertThat(auth.authenticate(new String[] {"ops", "pw"}).getPrincipals()).containsExactly(new JMXPrincipal("ops"));
        for (Object wrong : new Object[] {new String[] {"ops", "pw2"}, new String[] {"op", "pw"}, new String[] {"ops", ""},
                new String[] {"ops"}, null, "ops:pw"}) {
            assertThatThrownBy(() -> auth.authenticate(wrong)).isInstanceOf(SecurityException.class)
                    .hasMessageNotContaining("pw");
        }
    }
}
