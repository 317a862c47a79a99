package io.caravan.runtime.management;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import javax.management.remote.JMXAuthenticator;
import javax.management.remote.JMXPrincipal;
import javax.security.auth.Subject;

/**
 * Lets a remote JMX client in with the one configured user and password. Both are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken tells nothing about how
 * much of either matched, not even their length.
 */
final class PasswordAuthenticator implements JMXAuthenticator {

    private final byte[] user;
    private final byte[] password;

    PasswordAuthenticator(String user, String password) {
        this.user = digest(user);
        this.password = digest(password);
    }

    @Override
    public Subject authenticate(Object credentials) {
        if (!(credentials instanceof String[] pair) || pair.length != 2 || pair[0] == null || pair[1] == null) {
            throw new SecurityException("JMX authentication failed: expected a user name and a password");
        }
        // both compared every time: no early return that would tell a known user from an unknown one
        boolean userMatches = MessageDigest.isEqual(user, digest(pair[0]));
        boolean passwordMatches = MessageDigest.isEqual(password, digest(pair[1]));
        if (!(userMatches & passwordMatches)) {
            throw new SecurityException("JMX authentication failed");
        }
        return new Subject(true, Set.of(new JMXPrincipal(pair[0])), Set.of(), Set.of());
    }

    private static byte[] digest(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
