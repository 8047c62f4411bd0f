package devreg.interop.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;

import org.apache.qpid.proton.message.Message;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Fixtures;
import devreg.interop.Management;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;

/**
 * Hono's MQTT protocol adapter on the registry: an MQTT device (Eclipse Paho) connects with username and
 * password, which the adapter checks against the registry's credentials, and publishes telemetry with
 * QoS 1, which the adapter acknowledges once the broker has accepted it.
 */
@ExtendWith(SharedRegistry.class)
class MqttAdapterTest {

    private static AdapterProcess adapter;
    private static Fixtures fixtures;

    @BeforeAll
    static void start(final RegistryProcess registry) throws Exception {
        fixtures = new Fixtures(registry.management());
        adapter = AdapterProcess.start(AdapterProcess.Kind.MQTT, registry);
    }

    @AfterAll
    static void stop() throws Exception {
        if (adapter != null) {
            adapter.close();
        }
    }

    /** A tenant whose devices may use the MQTT adapter (the fixtures' tenants allow only HTTP). */
    private static String mqttTenant() {
        final String tenantId = fixtures.tenant(null);
        fixtures.api().replace("/tenant/" + Management.segment(tenantId), """
                {"adapters": [{"type": "hono-mqtt", "enabled": true}]}""");
        return tenantId;
    }

    private static MqttClient connect(final String authId, final String tenantId, final String password) throws MqttException {
        final MqttClient client = new MqttClient("tcp://127.0.0.1:" + adapter.port(), Fixtures.id("mqtt-client"), new MemoryPersistence());
        final MqttConnectOptions options = new MqttConnectOptions();
        options.setUserName(authId + "@" + tenantId);
        options.setPassword(password.toCharArray());
        options.setCleanSession(true);
        options.setConnectionTimeout(10);
        options.setAutomaticReconnect(false);
        try {
            client.connect(options);
        } catch (final MqttException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** CONNACK return code 4 (MQTT 3.1.1 §3.2.2.3). */
    private static final int BAD_USER_NAME_OR_PASSWORD = MqttException.REASON_CODE_FAILED_AUTHENTICATION;

    /** The return code of a refused connection. */
    private static int refusal(final String authId, final String tenantId, final String password) {
        return assertThrows(MqttException.class, () -> connect(authId, tenantId, password).close()).getReasonCode();
    }

    @Test
    void telemetryPublishedWithQos1ByADeviceWithTheRightPasswordReachesTheConsumer() throws Exception {
        final String tenantId = mqttTenant();
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");

        try (TelemetryConsumer consumer = new TelemetryConsumer(adapter.brokerPort(), tenantId)) {
            final MqttClient device = connect(authId, tenantId, Fixtures.PASSWORD);
            device.publish("telemetry", "{\"hum\": 40}".getBytes(StandardCharsets.UTF_8), 1, false);
            device.disconnect();
            device.close();

            final Message message = consumer.next(20);
            assertNotNull(message, "no telemetry reached the consumer; adapter log:\n" + adapter.log());
            assertEquals("{\"hum\": 40}", TelemetryConsumer.payloadOf(message));
            assertEquals(deviceId, message.getApplicationProperties().getValue().get("device_id"));
        }
    }

    @Test
    void connectionWithAWrongPasswordIsRefusedAsBadUserNameOrPassword() {
        final String tenantId = mqttTenant();
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");

        assertEquals(BAD_USER_NAME_OR_PASSWORD, refusal(authId, tenantId, "not-the-password"));
    }

    @Test
    void connectionOfADeletedDeviceIsRefusedAsBadUserNameOrPassword() {
        final String tenantId = mqttTenant();
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");
        fixtures.deleteDevice(tenantId, deviceId);

        assertEquals(BAD_USER_NAME_OR_PASSWORD, refusal(authId, tenantId, Fixtures.PASSWORD));
    }
}
