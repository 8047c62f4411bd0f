package devreg.interop;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * CA and device certificates made with the openssl command (EC P-256 keys), for trusted CAs of tenants
 * and x509 auto-provisioning.
 */
public final class Certificates {

    /** A certificate with its key file; {@code der} is the Base64 of its DER form. */
    public record Issued(X509Certificate certificate, String der, String publicKeyDer, Path certFile, Path keyFile) {

        /** The subject DN in the RFC 2253 form Hono's clients send. */
        public String subjectDn() {
            return certificate.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253);
        }
    }

    private final Path dir;
    private int serial;

    public Certificates() {
        try {
            dir = Files.createTempDirectory("hono-interop-certs-");
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A self-signed CA certificate valid for a year from now. {@code subject} is openssl's form: /O=x/CN=y. */
    public Issued ca(final String subject) {
        final String name = "ca" + (++serial);
        final Path key = newKey(name);
        final Path cert = dir.resolve(name + ".pem");
        openssl("req", "-x509", "-new", "-key", key.toString(), "-subj", subject, "-days", "365",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-out", cert.toString());
        return load(cert, key);
    }

    /** A device certificate for {@code subject}, issued and signed by {@code ca}, valid for 30 days. */
    public Issued device(final Issued ca, final String subject) {
        final String name = "device" + (++serial);
        final Path key = newKey(name);
        final Path csr = dir.resolve(name + ".csr");
        final Path cert = dir.resolve(name + ".pem");
        openssl("req", "-new", "-key", key.toString(), "-subj", subject, "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", ca.certFile().toString(), "-CAkey", ca.keyFile().toString(),
                "-set_serial", String.valueOf(1000 + serial), "-days", "30", "-out", cert.toString());
        return load(cert, key);
    }

    private Path newKey(final String name) {
        final Path key = dir.resolve(name + ".key");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        return key;
    }

    private static Issued load(final Path certFile, final Path keyFile) {
        try {
            final X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(certFile)));
            final Base64.Encoder b64 = Base64.getEncoder();
            return new Issued(cert, b64.encodeToString(cert.getEncoded()), b64.encodeToString(cert.getPublicKey().getEncoded()), certFile, keyFile);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void openssl(final String... args) {
        final List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        try {
            final Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
