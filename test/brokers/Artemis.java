// An embedded ActiveMQ Artemis with one AMQP acceptor on a loopback port, for the notification
// tests (test/helpers/brokers.ts runs it with Java's source launcher). As Hono requires of an AMQP
// network, `notification/…` addresses are multicast: every subscriber gets every notification.
// The journal is kept (in the data directory), so a durable subscription outlives a restart.
// Usage: java -cp <class path> Artemis.java <port> <data dir>; prints "artemis ready"; stops on SIGTERM.
import java.nio.file.Path;
import org.apache.activemq.artemis.api.core.RoutingType;
import org.apache.activemq.artemis.core.config.Configuration;
import org.apache.activemq.artemis.core.config.impl.ConfigurationImpl;
import org.apache.activemq.artemis.core.server.embedded.EmbeddedActiveMQ;
import org.apache.activemq.artemis.core.settings.impl.AddressSettings;

public class Artemis {
    public static void main(final String[] args) throws Exception {
        final Path dir = Path.of(args[1]);
        final Configuration config = new ConfigurationImpl()
                .setName("notification-test-broker")
                .setPersistenceEnabled(true)
                .setSecurityEnabled(false)
                .setJMXManagementEnabled(false)
                .setJournalDirectory(dir.resolve("journal").toString())
                .setBindingsDirectory(dir.resolve("bindings").toString())
                .setLargeMessagesDirectory(dir.resolve("large").toString())
                .setPagingDirectory(dir.resolve("paging").toString())
                .addAcceptorConfiguration("amqp", "tcp://127.0.0.1:" + args[0] + "?protocols=AMQP")
                .addAddressSetting("notification/#", new AddressSettings()
                        .setAutoCreateAddresses(true)
                        .setAutoCreateQueues(true)
                        .setDefaultAddressRoutingType(RoutingType.MULTICAST)
                        .setDefaultQueueRoutingType(RoutingType.MULTICAST));
        final EmbeddedActiveMQ server = new EmbeddedActiveMQ();
        server.setConfiguration(config);
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (final Exception e) {
                // exiting anyway
            }
        }));
        System.out.println("artemis ready");
        Thread.currentThread().join();
    }
}
