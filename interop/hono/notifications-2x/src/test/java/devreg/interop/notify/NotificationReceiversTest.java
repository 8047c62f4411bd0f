package devreg.interop.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import devreg.interop.Await;
import devreg.interop.Management;
import devreg.interop.RegistryProcess;
import io.opentracing.noop.NoopTracerFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.eclipse.hono.client.amqp.config.ClientConfigProperties;
import org.eclipse.hono.client.amqp.connection.HonoConnection;
import org.eclipse.hono.client.kafka.CommonKafkaClientConfigProperties;
import org.eclipse.hono.client.notification.amqp.ProtonBasedNotificationReceiver;
import org.eclipse.hono.client.notification.kafka.KafkaBasedNotificationReceiver;
import org.eclipse.hono.client.notification.kafka.NotificationKafkaConsumerConfigProperties;
import org.eclipse.hono.notification.AbstractNotification;
import org.eclipse.hono.notification.NotificationReceiver;
import org.eclipse.hono.notification.deviceregistry.AllDevicesOfTenantDeletedNotification;
import org.eclipse.hono.notification.deviceregistry.CredentialsChangeNotification;
import org.eclipse.hono.notification.deviceregistry.DeviceChangeNotification;
import org.eclipse.hono.notification.deviceregistry.LifecycleChange;
import org.eclipse.hono.notification.deviceregistry.TenantChangeNotification;
import org.junit.jupiter.api.Test;

/**
 * Hono 2.x's own notification receivers, as its protocol adapters run them, read what the registry
 * announces (docs/notifications.md): the Kafka receiver from a single-node Kafka, the AMQP receiver
 * from an ActiveMQ Artemis, with the registry configured for both at once. Every message must decode
 * into Hono's notification object of its type, with the fields of the change.
 */
class NotificationReceiversTest {

    /** What one receiver decoded, in arrival order. */
    private static final class Received {
        final List<AbstractNotification> all = new CopyOnWriteArrayList<>();

        void register(final NotificationReceiver receiver) {
            receiver.registerConsumer(TenantChangeNotification.TYPE, all::add);
            receiver.registerConsumer(DeviceChangeNotification.TYPE, all::add);
            receiver.registerConsumer(CredentialsChangeNotification.TYPE, all::add);
            receiver.registerConsumer(AllDevicesOfTenantDeletedNotification.TYPE, all::add);
        }

        <T extends AbstractNotification> T await(final Class<T> type, final Predicate<T> which) throws InterruptedException {
            final Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
            while (Instant.now().isBefore(deadline)) {
                for (final AbstractNotification n : all) {
                    if (type.isInstance(n) && which.test(type.cast(n))) {
                        return type.cast(n);
                    }
                }
                Thread.sleep(50);
            }
            throw new AssertionError("no " + type.getSimpleName() + " arrived; got " + all);
        }
    }

    private static NotificationReceiver kafkaReceiver(final Vertx vertx, final Brokers brokers) {
        final CommonKafkaClientConfigProperties common = new CommonKafkaClientConfigProperties();
        common.setCommonClientConfig(Map.of("bootstrap.servers", "127.0.0.1:" + brokers.kafkaPort));
        final NotificationKafkaConsumerConfigProperties config = new NotificationKafkaConsumerConfigProperties();
        config.setCommonClientConfig(common);
        // A group of its own reading from the start: nothing depends on when its partitions are assigned.
        config.setConsumerConfig(Map.of("group.id", "interop-" + UUID.randomUUID(), "auto.offset.reset", "earliest"));
        return new KafkaBasedNotificationReceiver(vertx, config);
    }

    private static NotificationReceiver amqpReceiver(final Vertx vertx, final Brokers brokers) {
        final ClientConfigProperties config = new ClientConfigProperties();
        config.setName("hono-notification-receiver-2.6.0");
        config.setHost("127.0.0.1");
        config.setPort(brokers.amqpPort);
        return new ProtonBasedNotificationReceiver(HonoConnection.newConnection(vertx, config, NoopTracerFactory.create()));
    }

    @Test
    void honoReceiversDecodeEveryChangeAnnouncedOverKafkaAndAmqp() throws Exception {
        final Vertx vertx = Vertx.vertx();
        try (Brokers brokers = new Brokers();
                RegistryProcess registry = RegistryProcess.start("notifications", Map.of(
                        "REGISTRY_NOTIFICATION_KAFKA_BROKERS", "127.0.0.1:" + brokers.kafkaPort,
                        "REGISTRY_NOTIFICATION_AMQP_URL", "amqp://127.0.0.1:" + brokers.amqpPort,
                        "REGISTRY_NOTIFICATION_POLL_MS", "100"))) {
            final Received kafka = new Received();
            final Received amqp = new Received();
            final NotificationReceiver kafkaReceiver = kafkaReceiver(vertx, brokers);
            final NotificationReceiver amqpReceiver = amqpReceiver(vertx, brokers);
            kafka.register(kafkaReceiver);
            amqp.register(amqpReceiver);
            Await.result(Future.all(kafkaReceiver.start(), amqpReceiver.start()).toCompletionStage());
            final Management m = registry.management();

            // The AMQP addresses are multicast: only what is sent once the receiver's links are attached reaches it.
            m.create("/tenant", "{\"tenant-id\": \"probe\"}");
            for (int i = 0; amqp.all.isEmpty() && i < 600; i++) {
                m.replace("/tenant/probe", "{\"n\": " + i + "}");
                Thread.sleep(100);
            }

            m.create("/tenant", "{\"tenant-id\": \"acme\", \"ext\": {\"invalidate-cache-on-update\": true}}");
            m.create("/registration/acme", "{\"device-id\": \"dev-1\"}");
            m.replace("/registration/acme/dev-1", "{\"enabled\": false}");
            m.create("/credentials/acme", "{\"device-id\": \"dev-1\", \"type\": \"hashed-password\", \"auth-id\": \"dev-1\","
                    + " \"secrets\": [{\"pwd-plain\": \"a-password-of-dev-1\"}]}");
            m.remove("/registration/acme/dev-1");
            m.create("/registration/acme", "{\"device-id\": \"dev-2\"}");
            m.remove("/v1/devices/acme");
            m.remove("/tenant/acme");

            for (final Received received : List.of(kafka, amqp)) {
                final TenantChangeNotification created = received.await(TenantChangeNotification.class,
                        n -> n.getTenantId().equals("acme") && n.getChange() == LifecycleChange.CREATE);
                assertTrue(created.isTenantEnabled());
                assertTrue(created.isInvalidateCacheOnUpdate());
                assertEquals("device-registry", created.getSource());
                assertNotNull(created.getCreationTime());
                final TenantChangeNotification deleted = received.await(TenantChangeNotification.class,
                        n -> n.getTenantId().equals("acme") && n.getChange() == LifecycleChange.DELETE);
                assertFalse(deleted.isTenantEnabled());
                assertTrue(deleted.isInvalidateCacheOnUpdate());

                final DeviceChangeNotification device = received.await(DeviceChangeNotification.class,
                        n -> n.getDeviceId().equals("dev-1") && n.getChange() == LifecycleChange.CREATE);
                assertEquals("acme", device.getTenantId());
                assertTrue(device.isDeviceEnabled());
                assertFalse(received.await(DeviceChangeNotification.class,
                        n -> n.getDeviceId().equals("dev-1") && n.getChange() == LifecycleChange.UPDATE).isDeviceEnabled());
                final DeviceChangeNotification removed = received.await(DeviceChangeNotification.class,
                        n -> n.getDeviceId().equals("dev-1") && n.getChange() == LifecycleChange.DELETE);
                assertFalse(removed.isDeviceEnabled(), "a deleted device is announced disabled: adapters close its connections");
                assertEquals("dev-1", removed.getKey());

                final CredentialsChangeNotification credentials = received.await(CredentialsChangeNotification.class,
                        n -> n.getDeviceId().equals("dev-1"));
                assertEquals("acme", credentials.getTenantId());

                final AllDevicesOfTenantDeletedNotification all = received.await(AllDevicesOfTenantDeletedNotification.class,
                        n -> n.getTenantId().equals("acme"));
                assertEquals("acme", all.getKey());
                assertEquals("device-registry", all.getSource());
            }
            Await.result(Future.join(kafkaReceiver.stop(), amqpReceiver.stop()).toCompletionStage());
        } finally {
            Await.result(vertx.close().toCompletionStage());
        }
    }
}
