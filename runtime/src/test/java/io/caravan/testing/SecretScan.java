package io.caravan.testing;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.config.Configurator;

/** Where a secret could leak, read as text: every MBean attribute, and logs at DEBUG. */
public final class SecretScan {

    private SecretScan() {
    }

    /** Fails naming {@code where}, with the text around it, when {@code text} holds {@code secret}. */
    public static void assertNoSecret(String secret, String where, String text) {
        int at = text.indexOf(secret);
        if (at >= 0) {
            String around = text.substring(Math.max(0, at - 300), Math.min(text.length(), at + secret.length() + 100));
            throw new AssertionError("the secret leaked into " + where + ":\n..." + around + "...");
        }
    }

    /** Every readable attribute of every MBean of the platform server, as text; unreadable ones are skipped. */
    public static String jmx() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        StringBuilder out = new StringBuilder();
        for (ObjectName name : server.queryNames(new ObjectName("*:*"), null)) {
            out.append(name).append('\n');
            MBeanAttributeInfo[] attributes;
            try {
                attributes = server.getMBeanInfo(name).getAttributes();
            } catch (Exception e) {
                continue;
            }
            for (MBeanAttributeInfo a : attributes) {
                if (!a.isReadable()) {
                    continue;
                }
                try {
                    Object v = server.getAttribute(name, a.getName());
                    out.append("  ").append(a.getName()).append(" = ")
                            .append(v instanceof Object[] arr ? Arrays.deepToString(arr) : String.valueOf(v)).append('\n');
                } catch (Exception | Error ignored) {
                    // some attributes are unsupported or fail when read; they hold nothing to scan
                }
            }
        }
        return out.toString();
    }

    /** DEBUG for the loggers that see credentials, so a leak at any level shows; returns the old levels. */
    public static Map<String, Level> debug(String... loggers) {
        Map<String, Level> before = new LinkedHashMap<>();
        for (String logger : loggers) {
            before.put(logger, LogManager.getLogger(logger).getLevel());
            Configurator.setLevel(logger, Level.DEBUG);
        }
        return before;
    }

    /** Puts back what {@link #debug} returned. */
    public static void restore(Map<String, Level> levels) {
        levels.forEach(Configurator::setLevel);
    }
}
