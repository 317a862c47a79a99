package io.caravan.compile.idempotency;

import io.caravan.workflow.Idempotency;
import java.time.Duration;
import org.apache.camel.Exchange;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;

/**
 * A workflow's idempotent repository as a compiled route names it,
 * {@code #class:io.caravan.compile.idempotency.Store('<store>', '<workflow>', maxEntries, ttlMs,
 * leaseMs, '<table>', '<url>', '<user>', '<password>')}: Camel makes it when the route starts.
 * {@code ${NAME}} in {@code url}, {@code user} and {@code password} is resolved here from the
 * environment (validation lets a password, or a url holding one, be nothing else, so no secret is
 * printed). Empty text stands for "not set".
 */
public final class Store extends ServiceSupport implements IdempotentRepository {

    private final IdempotentRepository repository;

    public Store(String store, String workflowId, int maxEntries, long ttlMs, long leaseMs, String table, String url,
                 String user, String password) {
        Idempotency settings = new Idempotency(null, store, maxEntries, ttlMs <= 0 ? null : Duration.ofMillis(ttlMs),
                blankToNull(url), blankToNull(user), blankToNull(password), blankToNull(table),
                leaseMs <= 0 ? null : Duration.ofMillis(leaseMs));
        this.repository = Repositories.create(settings, workflowId);
    }

    private static String blankToNull(String text) {
        return text == null || text.isEmpty() ? null : text;
    }

    @Override
    public boolean add(String key) {
        return repository.add(key);
    }

    @Override
    public boolean add(Exchange exchange, String key) {
        return repository.add(exchange, key);
    }

    @Override
    public boolean contains(String key) {
        return repository.contains(key);
    }

    @Override
    public boolean contains(Exchange exchange, String key) {
        return repository.contains(exchange, key);
    }

    @Override
    public boolean remove(String key) {
        return repository.remove(key);
    }

    @Override
    public boolean remove(Exchange exchange, String key) {
        return repository.remove(exchange, key);
    }

    @Override
    public boolean confirm(String key) {
        return repository.confirm(key);
    }

    @Override
    public boolean confirm(Exchange exchange, String key) {
        return repository.confirm(exchange, key);
    }

    @Override
    public void clear() {
        repository.clear();
    }

    @Override
    protected void doStart() throws Exception {
        repository.start();
    }

    @Override
    protected void doStop() throws Exception {
        repository.stop();
    }
}
