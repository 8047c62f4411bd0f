package devreg.interop.notify;

import devreg.interop.RegistryProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The messaging systems Hono's notification receivers read from: a single-node Kafka (KRaft) and an
 * ActiveMQ Artemis whose {@code notification/…} addresses are multicast (the registry's own
 * test/brokers/Artemis.java), each a JVM of its own on free loopback ports, from the class path of
 * the brokers-runtime module.
 */
final class Brokers implements AutoCloseable {

    final int kafkaPort;
    final int amqpPort;
    private final Path dir;
    private final List<Process> processes = new ArrayList<>();

    Brokers() throws IOException, InterruptedException {
        final String classpath = Files.readString(Path.of(System.getProperty("brokers.classpath.file"))).trim();
        dir = Files.createTempDirectory("hono-interop-brokers-");
        final Path log4j = dir.resolve("log4j.properties");
        Files.writeString(log4j, "log4j.rootLogger=WARN, out\nlog4j.appender.out=org.apache.log4j.ConsoleAppender\n"
                + "log4j.appender.out.layout=org.apache.log4j.PatternLayout\nlog4j.appender.out.layout.ConversionPattern=%p %m (%c)%n\n");
        kafkaPort = RegistryProcess.freePort();
        final int controller = RegistryProcess.freePort();
        final Path properties = dir.resolve("server.properties");
        Files.writeString(properties, String.join("\n",
                "process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@127.0.0.1:" + controller,
                "listeners=PLAINTEXT://127.0.0.1:" + kafkaPort + ",CONTROLLER://127.0.0.1:" + controller,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + kafkaPort, "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT", "inter.broker.listener.name=PLAINTEXT",
                "log.dirs=" + dir.resolve("kafka"), "num.partitions=3", "offsets.topic.replication.factor=1", "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1", "group.initial.rebalance.delay.ms=0"));
        final Process format = java(classpath, log4j, "kafka.tools.StorageTool", "format", "-t", "MkU3OEVBNTcwNTJENDM2Qk", "-c", properties.toString());
        if (format.waitFor() != 0) {
            throw new IllegalStateException("kafka storage format failed: " + new String(format.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        processes.add(java(classpath, log4j, "kafka.Kafka", properties.toString()));
        amqpPort = RegistryProcess.freePort();
        final Path artemis = RegistryProcess.repositoryRoot().resolve("test/brokers/Artemis.java");
        processes.add(java(classpath, log4j, artemis.toString(), String.valueOf(amqpPort), dir.resolve("artemis").toString()));
        awaitPort(kafkaPort);
        awaitPort(amqpPort);
    }

    private Process java(final String classpath, final Path log4j, final String... args) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-Dlog4j.configuration=file:" + log4j, "-cp", classpath));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve(args[0].replaceAll(".*[/.]", "") + ".log").toFile()).start();
    }

    private void awaitPort(final int port) throws InterruptedException {
        final Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (Instant.now().isBefore(deadline)) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (final IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("broker port " + port + " did not open; logs in " + dir);
    }

    @Override
    public void close() {
        for (final Process p : processes) {
            p.destroyForcibly();
        }
        try {
            for (final Process p : processes) {
                p.waitFor();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
