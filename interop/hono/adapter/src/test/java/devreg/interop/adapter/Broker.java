package devreg.interop.adapter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;

import devreg.interop.RegistryProcess;

/**
 * The AMQP 1.0 messaging network of the adapter: an embedded ActiveMQ Artemis broker with one AMQP
 * acceptor on a free loopback port, nothing persisted. Addresses are created on first use as anycast
 * queues, so telemetry that arrives before its consumer waits for it.
 */
final class Broker implements AutoCloseable {

    private final EmbeddedActiveMQ server = new EmbeddedActiveMQ();
    private final int port;

    Broker() throws Exception {
        port = RegistryProcess.freePort();
        final Path dir = Files.createTempDirectory("hono-interop-artemis-");
        final Configuration config = new ConfigurationImpl()
                .setName("interop-broker")
                .setPersistenceEnabled(false)
                .setSecurityEnabled(false)
                .setJMXManagementEnabled(false)
                .setJournalDirectory(dir.resolve("journal").toString())
                .setBindingsDirectory(dir.resolve("bindings").toString())
                .setLargeMessagesDirectory(dir.resolve("large").toString())
                .setPagingDirectory(dir.resolve("paging").toString())
                .addAcceptorConfiguration("amqp", "tcp://127.0.0.1:" + port + "?protocols=AMQP")
                .addAddressSetting("#", new AddressSettings()
                        .setAutoCreateAddresses(true)
                        .setAutoCreateQueues(true)
                        .setDefaultAddressRoutingType(RoutingType.ANYCAST)
                        .setDefaultQueueRoutingType(RoutingType.ANYCAST));
        server.setConfiguration(config);
        server.start();
    }

    int port() {
        return port;
    }

    @Override
    public void close() throws IOException {
        try {
            server.stop();
        } catch (final Exception e) {
            throw new IOException(e);
        }
    }
}
