package devreg.interop.adapter;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import devreg.interop.RegistryProcess;

/**
 * One of Eclipse Hono's protocol adapters (hono-adapter-http-vertx, hono-adapter-mqtt-vertx from Maven
 * Central) in its own JVM, configured as Hono's admin guide describes: the Tenant, Device Registration,
 * Credentials and Device Connection services at the registry (SASL PLAIN, an account of its accounts
 * file), the AMQP messaging network and the command connection at the broker, the adapter's insecure
 * port on a free loopback port. Each adapter gets a broker of its own, started and stopped with it.
 */
final class AdapterProcess implements AutoCloseable {

    /** Which adapter: its configuration prefix, main class and the system property naming its class path file. */
    enum Kind {
        HTTP("http", "org.eclipse.hono.adapter.http.impl.Application"),
        MQTT("mqtt", "org.eclipse.hono.adapter.mqtt.impl.Application");

        final String prefix;
        final String mainClass;

        Kind(final String prefix, final String mainClass) {
            this.prefix = prefix;
            this.mainClass = mainClass;
        }
    }

    private static final Pattern READINESS = Pattern.compile("readiness probe available at (http://\\S+)");

    private final Broker broker;
    private final Process process;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final int port;

    /** Starts a broker and the adapter, and waits until the adapter is ready. */
    static AdapterProcess start(final Kind kind, final RegistryProcess registry) throws Exception {
        final Broker broker = new Broker();
        final AdapterProcess adapter;
        try {
            adapter = new AdapterProcess(kind, registry, broker);
        } catch (final IOException e) {
            broker.close();
            throw e;
        }
        try {
            adapter.awaitReady(Duration.ofSeconds(90));
        } catch (final InterruptedException | RuntimeException e) {
            adapter.close();
            throw e;
        }
        return adapter;
    }

    private AdapterProcess(final Kind kind, final RegistryProcess registry, final Broker broker) throws IOException {
        this.broker = broker;
        final String classpath = Files.readString(Path.of(System.getProperty(kind.prefix + ".adapter.classpath.file"))).trim();
        port = RegistryProcess.freePort();
        final List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classpath, kind.mainClass,
                "--hono.app.maxInstances=1",
                "--hono." + kind.prefix + ".insecurePortEnabled=true",
                "--hono." + kind.prefix + ".insecurePortBindAddress=127.0.0.1",
                "--hono." + kind.prefix + ".insecurePort=" + port,
                // Hono refuses to bind its health check server to 127.0.0.1 (only); 127.0.0.2 is loopback too.
                "--hono.healthCheck.insecurePortBindAddress=127.0.0.2",
                "--hono.healthCheck.insecurePort=0"));
        for (final String service : List.of("tenant", "registration", "credentials", "device-connection")) {
            command.add("--hono." + service + ".host=" + registry.host());
            command.add("--hono." + service + ".port=" + registry.amqpPort());
            command.add("--hono." + service + ".username=" + RegistryProcess.AMQP_USER);
            command.add("--hono." + service + ".password=" + registry.adapterPassword());
        }
        for (final String network : List.of("messaging", "command")) {
            command.add("--hono." + network + ".host=127.0.0.1");
            command.add("--hono." + network + ".port=" + broker.port());
            command.add("--hono." + network + ".username=" + kind.prefix + "-adapter");
            command.add("--hono." + network + ".password=unused");
        }
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final Path logPath = Path.of("target", "hono-" + kind.prefix + "-adapter.log").toAbsolutePath();
        Files.createDirectories(logPath.getParent());
        final PrintWriter logFile = new PrintWriter(Files.newBufferedWriter(logPath, StandardCharsets.UTF_8), true);
        final Thread reader = new Thread(() -> copyLog(logFile), "hono-" + kind.prefix + "-adapter-log");
        reader.setDaemon(true);
        reader.start();
    }

    private void copyLog(final PrintWriter logFile) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                log.add(line);
                logFile.println(line);
            }
        } catch (final IOException ended) {
            // the adapter stopped
        } finally {
            logFile.close();
        }
    }

    /** The adapter's port for devices. */
    int port() {
        return port;
    }

    /** The port of the broker's AMQP acceptor. */
    int brokerPort() {
        return broker.port();
    }

    String log() {
        return String.join("\n", log);
    }

    /**
     * Waits until the adapter's readiness probe answers 200: it has started and connected to the services
     * and the messaging network. The probe's address is the one the adapter logs.
     */
    private void awaitReady(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        final HttpClient http = HttpClient.newHttpClient();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the adapter exited with " + process.exitValue() + ":\n" + log());
            }
            final String url = log.stream().map(READINESS::matcher).filter(Matcher::find).map(m -> m.group(1)).findFirst().orElse(null);
            if (url != null && probe(http, url) == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the adapter was not ready within " + timeout + ":\n" + log());
    }

    private static int probe(final HttpClient http, final String url) throws InterruptedException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (final IOException notYet) {
            return -1;
        }
    }

    @Override
    public void close() throws InterruptedException, IOException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
        broker.close();
    }
}
