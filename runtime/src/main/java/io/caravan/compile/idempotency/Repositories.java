package io.caravan.compile.idempotency;

import io.caravan.idempotency.IdempotencyStores;
import io.caravan.workflow.Idempotency;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.springframework.jdbc.datasource.DriverManagerDataSource;

/**
 * The idempotent repository for a workflow's store: Camel's LRU map in memory (one instance,
 * so the in-flight guard is all the claiming it needs), or Redis strings or database tables
 * with leased claims ({@link LeasedRepository}). Keys are namespaced by workflow id, so
 * workflows sharing a store never see each other's keys while instances of one workflow do.
 */
final class Repositories {

    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

    private Repositories() {
    }

    static IdempotentRepository create(Idempotency settings, String workflowId) {
        return switch (settings.store()) {
            case IdempotencyStores.MEMORY -> MemoryIdempotentRepository.memoryIdempotentRepository(settings.maxEntries());
            case IdempotencyStores.REDIS -> RedisRepository.create(env(settings.url()), "caravan:idempotency:" + workflowId,
                    settings.ttl(), settings.lease());
            case IdempotencyStores.JDBC -> jdbc(settings, workflowId);
            default -> throw new IllegalArgumentException("unknown idempotency store " + settings.store());
        };
    }

    private static IdempotentRepository jdbc(Idempotency settings, String workflowId) {
        DriverManagerDataSource dataSource = new DriverManagerDataSource(env(settings.url()));
        if (settings.user() != null) {
            dataSource.setUsername(env(settings.user()));
        }
        if (settings.password() != null) {
            dataSource.setPassword(env(settings.password()));
        }
        return new JdbcRepository(dataSource, settings.table(), workflowId, settings.lease());
    }

    /** ${NAME} references replaced from the environment, as in the credentials file. */
    static String env(String value) {
        Matcher m = ENV.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String found = System.getenv(m.group(1));
            if (found == null) {
                throw new IllegalStateException("environment variable " + m.group(1) + " is not set (needed by idempotency)");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(found));
        }
        m.appendTail(out);
        return out.toString();
    }
}
