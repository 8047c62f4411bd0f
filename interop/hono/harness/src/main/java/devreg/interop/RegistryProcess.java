package devreg.interop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The built registry (dist/main.js) in its own Node.js process, on a redis-server of its own; both on
 * free loopback ports, with a temporary data directory. The registry's log (JSON lines, debug level,
 * so every AMQP connection and request is in it) is kept in memory and written to
 * {@code target/registry-<name>.log}.
 */
public final class RegistryProcess implements AutoCloseable {

    /** The account the registry creates in its accounts file on first start (README "Accounts"). */
    public static final String AMQP_USER = "protocol-adapter@HONO";

    private static final Pattern HTTP_LISTENING = Pattern.compile("\"address\":\"http://127\\.0\\.0\\.1:(\\d+)\".*HTTP management API listening");
    private static final Pattern AMQP_LISTENING = Pattern.compile("\"address\":\"amqp://127\\.0\\.0\\.1:(\\d+)\".*AMQP 1\\.0 listening");

    private final Path dataDir;
    private final Process redis;
    private final Process node;
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final PrintWriter logFile;
    private final int httpPort;
    private final int amqpPort;
    private final String adapterPassword;
    private final String token;

    private RegistryProcess(final String name, final Map<String, String> extraEnv) throws IOException, InterruptedException {
        final Path root = repositoryRoot();
        final Path main = root.resolve("dist/main.js");
        if (!Files.isRegularFile(main)) {
            throw new IllegalStateException(main + " is missing: run `make build` first (make test-hono does)");
        }
        dataDir = Files.createTempDirectory("hono-interop-registry-");
        final int redisPort = freePort();
        redis = new ProcessBuilder("redis-server", "--port", String.valueOf(redisPort), "--bind", "127.0.0.1",
                "--dir", dataDir.toString(), "--save", "", "--appendonly", "no")
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("redis.log").toFile())
                .start();
        waitForRedis(redisPort);

        token = "interop-" + randomText(24);
        final ProcessBuilder builder = new ProcessBuilder(System.getProperty("node", "node"), main.toString())
                .directory(root.toFile())
                .redirectErrorStream(true);
        final Map<String, String> env = builder.environment();
        env.keySet().removeIf(k -> k.startsWith("REGISTRY_"));
        env.put("REGISTRY_REDIS_URL", "redis://127.0.0.1:" + redisPort);
        env.put("REGISTRY_DATA_DIR", dataDir.resolve("registry").toString());
        env.put("REGISTRY_HTTP_PORT", "0");
        env.put("REGISTRY_AMQP_PORT", "0");
        env.put("REGISTRY_BIND_ADDRESS", "127.0.0.1");
        env.put("REGISTRY_BOOTSTRAP_TOKEN", token);
        env.put("REGISTRY_LOG_LEVEL", "debug");
        env.put("REGISTRY_LOG_FORMAT", "json");
        env.put("REGISTRY_HONO_API", "1.x");
        env.put("REGISTRY_BCRYPT_COST", "4");
        env.putAll(extraEnv);
        node = builder.start();

        final Path logPath = Path.of("target", "registry-" + name + ".log").toAbsolutePath();
        Files.createDirectories(logPath.getParent());
        logFile = new PrintWriter(Files.newBufferedWriter(logPath, StandardCharsets.UTF_8), true);
        final Thread reader = new Thread(this::readLog, "registry-log-" + name);
        reader.setDaemon(true);
        reader.start();

        httpPort = Integer.parseInt(awaitLine(HTTP_LISTENING, Duration.ofSeconds(30)).group(1));
        amqpPort = Integer.parseInt(awaitLine(AMQP_LISTENING, Duration.ofSeconds(30)).group(1));
        adapterPassword = Files.readString(dataDir.resolve("registry/amqp-adapter-password")).trim();
    }

    /**
     * Starts redis-server and the registry (wire profile {@code 1.x}, debug log, a bootstrap token for
     * the management API).
     *
     * @param name names the log file under target/.
     * @param extraEnv further REGISTRY_* variables.
     * @return the running registry.
     */
    public static RegistryProcess start(final String name, final Map<String, String> extraEnv) {
        try {
            return new RegistryProcess(name, extraEnv);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The repository root: the system property registry.root, else the nearest parent with package.json and src/amqp. */
    public static Path repositoryRoot() {
        final String configured = System.getProperty("registry.root");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath().normalize();
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("package.json")) && Files.isDirectory(p.resolve("src/amqp"))) {
                return p;
            }
        }
        throw new IllegalStateException("cannot find the repository root; set -Dregistry.root");
    }

    /** A free TCP port on the loopback interface (free when asked; the caller binds it soon after). */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String randomText(final int bytes) {
        final byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static void waitForRedis(final int port) throws InterruptedException {
        final Instant deadline = Instant.now().plusSeconds(10);
        while (Instant.now().isBefore(deadline)) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                final byte[] reply = new byte[7];
                if (s.getInputStream().read(reply) > 0 && new String(reply, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                    return;
                }
            } catch (final IOException notYet) {
                // redis-server is still starting
            }
            Thread.sleep(30);
        }
        throw new IllegalStateException("redis-server did not answer PING on port " + port);
    }

    private void readLog() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                log.add(line);
                logFile.println(line);
                synchronized (log) {
                    log.notifyAll();
                }
            }
        } catch (final IOException e) {
            // the process ended
        } finally {
            synchronized (log) {
                log.notifyAll();
            }
        }
    }

    private Matcher awaitLine(final Pattern pattern, final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (log) {
            while (true) {
                for (final String line : log) {
                    final Matcher m = pattern.matcher(line);
                    if (m.find()) {
                        return m;
                    }
                }
                final long left = deadline - System.nanoTime();
                if (left <= 0 || !node.isAlive()) {
                    throw new IllegalStateException("the registry did not log " + pattern + "; its output:\n" + String.join("\n", log));
                }
                log.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
        }
    }

    public String host() {
        return "127.0.0.1";
    }

    public int amqpPort() {
        return amqpPort;
    }

    public int httpPort() {
        return httpPort;
    }

    /** The password of {@link #AMQP_USER}, which the registry wrote next to its accounts file. */
    public String adapterPassword() {
        return adapterPassword;
    }

    /** The management API, authenticated with the bootstrap token. */
    public Management management() {
        return new Management("http://127.0.0.1:" + httpPort, token);
    }

    /** The registry's log lines so far. */
    public List<String> log() {
        return new ArrayList<>(log);
    }

    /** The log lines so far that satisfy the predicate. */
    public Stream<String> logLines(final Predicate<String> filter) {
        return log().stream().filter(filter);
    }

    @Override
    public void close() {
        stop(node);
        stop(redis);
        logFile.close();
        try (Stream<Path> files = Files.walk(dataDir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            // a temporary directory left behind is harmless
        }
    }

    private static void stop(final Process process) {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
