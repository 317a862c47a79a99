package io.caravan.tls;

import io.caravan.credential.Credential;
import io.caravan.spec.Field;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Whom a TLS connection trusts: the JVM's trust store, or the certificates of a PEM file named
 * by a credential's (or an http node's) {@code tls_ca_file}: a private CA, a server's
 * self-signed certificate.
 * Either way the server's certificate is checked, host name included; there is no "trust all".
 */
public final class Tls {

    /** The credential field every TLS-capable broker takes. */
    public static final Field CA_FILE = Field.string("tls_ca_file", "PEM file of the certificates to trust for TLS"
            + " (a private CA, or the server's own certificate) instead of the JVM's trust store")
            .withExample("/etc/caravan/ca.pem");

    private Tls() {
    }

    /** The credential's CA file, if it names one; fails, naming the credential, when the file is missing. */
    public static Optional<Path> caFile(Credential credential) {
        String file = credential.string(CA_FILE.name());
        if (file == null || file.isBlank()) {
            return Optional.empty();
        }
        Path path = Path.of(file);
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException("credential " + credential.id() + ": tls_ca_file " + file
                    + " does not exist or cannot be read");
        }
        return Optional.of(path);
    }

    /** A trust manager for exactly the certificates in {@code pem}. */
    public static X509TrustManager trustManager(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509")
                    .generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("tls_ca_file " + pem + " holds no PEM certificate");
            }
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate c : certificates) {
                store.setCertificateEntry("ca-" + i++, c);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (var manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X.509 trust manager");
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("tls_ca_file " + pem + " cannot be read as PEM certificates: "
                    + e.getMessage(), e);
        }
    }

    /** A TLS context trusting the credential's CA file, or the JVM's trust store without one. */
    public static SSLContext context(Credential credential) {
        try {
            Optional<Path> ca = caFile(credential);
            return ca.isEmpty() ? SSLContext.getDefault() : context(ca.get());
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot set up TLS for credential " + credential.id() + ": " + e.getMessage(), e);
        }
    }

    /** A TLS context trusting exactly the certificates in {@code pem}. */
    public static SSLContext context(Path pem) {
        if (!Files.isReadable(pem)) {
            throw new IllegalArgumentException("tls_ca_file " + pem + " does not exist or cannot be read");
        }
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {trustManager(pem)}, null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS with " + pem + ": " + e.getMessage(), e);
        }
    }
}
