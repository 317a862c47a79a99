package io.caravan.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for localhost and 127.0.0.1, made with the openssl command (in
 * every Debian) for servers the tests configure for TLS: a certificate and a PKCS#8 key in PEM,
 * and the two in a PKCS#12 key store for Java servers. Clients trust it through
 * {@code tls_ca_file}: the certificate is its own CA.
 */
public record Certificates(Path certificate, Path key, Path keyStore, String keyStorePassword) {

    /** Makes a fresh certificate in {@code dir}, valid for a day. */
    public static Certificates create(Path dir) throws Exception {
        Files.createDirectories(dir);
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        Path store = dir.resolve("keystore.p12");
        String password = "changeit";
        run(dir, "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key.toString(), "-out",
                cert.toString(), "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-days", "1");
        run(dir, "openssl", "pkcs12", "-export", "-in", cert.toString(), "-inkey", key.toString(), "-name", "server",
                "-out", store.toString(), "-passout", "pass:" + password);
        // servers that run as another user (a RabbitMQ node) read them too
        for (Path p : List.of(dir, cert, key, store)) {
            p.toFile().setReadable(true, false);
        }
        dir.toFile().setExecutable(true, false);
        return new Certificates(cert, key, store, password);
    }

    private static void run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }
}
