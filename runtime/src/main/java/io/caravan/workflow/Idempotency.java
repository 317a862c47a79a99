package io.caravan.workflow;

import java.time.Duration;

/**
 * A receiving trigger's {@code idempotency} block: the template whose rendering identifies a
 * logical message, and the store that remembers the keys of finished runs (and, when shared,
 * claims the keys of runs in flight for {@code lease}). Fields that do not apply to the chosen
 * store are null.
 */
public record Idempotency(String key, String store, int maxEntries, Duration ttl, String url, String user,
                          String password, String table, Duration lease) {

    /** Without the password: records print every field, and this one is a secret. */
    @Override
    public String toString() {
        return "Idempotency[key=" + key + ", store=" + store + ", maxEntries=" + maxEntries + ", ttl=" + ttl
                + ", url=" + url + ", user=" + user + ", password=" + (password == null ? "null" : "***")
                + ", table=" + table + ", lease=" + lease + "]";
    }
}
