package io.caravan.compile.idempotency;

import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Keys in two tables, created when missing:
 * <ul>
 * <li>{@code <table>}: the keys of finished runs, one row per workflow and key, as Camel's JDBC
 * repository lays them out (so tables written by earlier versions keep working), with a primary
 * key so two instances can never both record one key;</li>
 * <li>{@code <table>_claims}: the keys of runs going on, with the claiming repository and the
 * time its lease ends (epoch milliseconds of the claiming instance's clock: instances' clocks
 * must agree to well within a lease, as NTP keeps them).</li>
 * </ul>
 * A claim is an insert (the primary key lets one instance win); an expired claim is deleted
 * only if it is still the expired one read (so two instances taking it over cannot both win).
 * After claiming, the processed table is read again: a run that finished between the first
 * read and the claim makes this copy a duplicate.
 */
final class JdbcRepository extends LeasedRepository {

    private final JdbcTemplate jdbc;
    private final String table;
    private final String claims;
    private volatile boolean created;

    JdbcRepository(DataSource dataSource, String table, String name, Duration lease) {
        super(name, lease);
        this.jdbc = new JdbcTemplate(dataSource);
        this.table = table;
        this.claims = table + "_claims";
    }

    /** Creates both tables when missing, the first time the store is used (a database that is down fails runs, not the start). */
    private JdbcTemplate db() {
        if (!created) {
            synchronized (this) {
                if (!created) {
                    create(table, "CREATE TABLE " + table + " (processorName VARCHAR(255) NOT NULL,"
                            + " messageId VARCHAR(255) NOT NULL, createdAt TIMESTAMP,"
                            + " PRIMARY KEY (processorName, messageId))");
                    create(claims, "CREATE TABLE " + claims + " (processorName VARCHAR(255) NOT NULL,"
                            + " messageId VARCHAR(255) NOT NULL, owner VARCHAR(64) NOT NULL, expiresAt BIGINT NOT NULL,"
                            + " PRIMARY KEY (processorName, messageId))");
                    created = true;
                }
            }
        }
        return jdbc;
    }

    private void create(String name, String ddl) {
        if (exists(name)) {
            return;
        }
        try {
            jdbc.execute(ddl);
        } catch (DataAccessException e) {
            // another instance created it at the same moment: fine if it is there now
            if (!exists(name)) {
                throw e;
            }
        }
    }

    private boolean exists(String name) {
        try {
            jdbc.queryForList("SELECT 1 FROM " + name + " WHERE 1 = 0");
            return true;
        } catch (DataAccessException e) {
            return false;
        }
    }

    @Override
    protected Claim claim(String key) {
        JdbcTemplate db = db();
        while (true) {
            if (recorded(key)) {
                return Claim.DONE;
            }
            try {
                db.update("INSERT INTO " + claims + " (processorName, messageId, owner, expiresAt) VALUES (?, ?, ?, ?)",
                        name, key, owner, System.currentTimeMillis() + lease.toMillis());
            } catch (DataIntegrityViolationException taken) {
                List<Long> ends = db.queryForList("SELECT expiresAt FROM " + claims
                        + " WHERE processorName = ? AND messageId = ?", Long.class, name, key);
                if (ends.isEmpty()) {
                    continue; // released meanwhile
                }
                if (ends.get(0) >= System.currentTimeMillis()) {
                    return Claim.BUSY;
                }
                // its instance died: take the claim over if nobody else did first
                db.update("DELETE FROM " + claims + " WHERE processorName = ? AND messageId = ? AND expiresAt = ?",
                        name, key, ends.get(0));
                continue;
            }
            if (recorded(key)) {
                release(key);
                return Claim.DONE;
            }
            return Claim.CLAIMED;
        }
    }

    @Override
    protected void record(String key) {
        JdbcTemplate db = db();
        try {
            db.update("INSERT INTO " + table + " (processorName, messageId, createdAt) VALUES (?, ?, ?)", name, key,
                    new Timestamp(System.currentTimeMillis()));
        } catch (DataIntegrityViolationException already) {
            // another instance's copy finished too (after this one's lease ran out): recorded either way
        }
        release(key);
    }

    @Override
    protected void release(String key) {
        db().update("DELETE FROM " + claims + " WHERE processorName = ? AND messageId = ? AND owner = ?", name, key, owner);
    }

    @Override
    protected void renew(List<String> keys) {
        long until = System.currentTimeMillis() + lease.toMillis();
        db().batchUpdate("UPDATE " + claims + " SET expiresAt = ? WHERE processorName = ? AND messageId = ? AND owner = ?",
                keys.stream().map(k -> new Object[] {until, name, k, owner}).toList());
    }

    @Override
    protected boolean recorded(String key) {
        Integer n = db().queryForObject("SELECT COUNT(*) FROM " + table + " WHERE processorName = ? AND messageId = ?",
                Integer.class, name, key);
        return n != null && n > 0;
    }

    @Override
    protected void disconnect() {
        // DriverManagerDataSource opens a connection per statement: nothing held
    }

    @Override
    public String toString() {
        return "JdbcRepository[" + table + ", " + name + "]";
    }
}
