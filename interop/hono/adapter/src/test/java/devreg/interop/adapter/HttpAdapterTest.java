package devreg.interop.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.qpid.proton.message.Message;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Fixtures;
import devreg.interop.Management;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;

/**
 * A real Hono protocol adapter on the registry: devices send telemetry with curl to Hono's HTTP adapter,
 * which authenticates them and asserts their registration with the registry and forwards the message
 * to an ActiveMQ Artemis broker, where a consumer receives it.
 */
@ExtendWith(SharedRegistry.class)
class HttpAdapterTest {

    private static AdapterProcess adapter;
    private static Fixtures fixtures;
    private static RegistryProcess registry;

    @BeforeAll
    static void start(final RegistryProcess running) throws Exception {
        registry = running;
        fixtures = new Fixtures(registry.management());
        adapter = AdapterProcess.start(AdapterProcess.Kind.HTTP, registry);
    }

    @AfterAll
    static void stop() throws Exception {
        if (adapter != null) {
            adapter.close();
        }
    }

    /** POST /telemetry with curl, HTTP basic authentication as auth-id@tenant; the HTTP status. */
    private static int sendTelemetry(final String authId, final String tenantId, final String password, final String payload)
            throws IOException, InterruptedException {
        final Process curl = new ProcessBuilder("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                "-u", authId + "@" + tenantId + ":" + password, "-H", "Content-Type: text/plain",
                "--data-binary", payload, "http://127.0.0.1:" + adapter.port() + "/telemetry")
                .redirectErrorStream(true).start();
        final String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        curl.waitFor(15, TimeUnit.SECONDS);
        return Integer.parseInt(out);
    }

    @Test
    void telemetryOfADeviceWithTheRightPasswordIsAcceptedAndReachesTheConsumer() throws Exception {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");

        try (TelemetryConsumer consumer = new TelemetryConsumer(adapter.brokerPort(), tenantId)) {
            assertEquals(202, sendTelemetry(authId, tenantId, Fixtures.PASSWORD, "{\"temp\": 21}"));

            final Message message = consumer.next(20);
            assertNotNull(message, "no telemetry reached the consumer; adapter log:\n" + adapter.log());
            assertEquals("{\"temp\": 21}", TelemetryConsumer.payloadOf(message));
            assertEquals(deviceId, message.getApplicationProperties().getValue().get("device_id"));
            assertEquals("telemetry/" + tenantId, message.getAddress());
        }
    }

    @Test
    void telemetryWithAWrongPasswordIsRefusedWith401() throws Exception {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");

        try (TelemetryConsumer consumer = new TelemetryConsumer(adapter.brokerPort(), tenantId)) {
            assertEquals(401, sendTelemetry(authId, tenantId, "not-the-password", "{\"temp\": 22}"));
            assertNull(consumer.next(1));
        }
    }

    @Test
    void telemetryOfADeletedDeviceIsRefusedWith401() throws Exception {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");
        fixtures.deleteDevice(tenantId, deviceId);

        assertEquals(401, sendTelemetry(authId, tenantId, Fixtures.PASSWORD, "{\"temp\": 23}"));
        assertTrue(fixtures.isDenied(tenantId, deviceId));
    }

    @Test
    void telemetryOfADeviceOfADisabledTenantIsRefusedWith403() throws Exception {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");
        fixtures.api().replace("/tenant/" + Management.segment(tenantId), """
                {"enabled": false, "adapters": [{"type": "hono-http", "enabled": true}]}""");

        assertEquals(403, sendTelemetry(authId, tenantId, Fixtures.PASSWORD, "{\"temp\": 24}"));
    }

    @Test
    void registryLogShowsTheAdaptersConnectionsAndLookups() throws Exception {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");
        assertEquals(202, sendTelemetry(authId, tenantId, Fixtures.PASSWORD, "{\"temp\": 25}"));

        // Hono's adapter names its connections "<name>-<uuid>"; one per service it uses.
        assertEquals(true, registry.logLines(l -> l.contains("amqp connection opened") && l.contains("\"container\":\"Hono HTTP Adapter-"))
                .count() >= 4, String.join("\n", registry.log()));
        for (final String lookup : List.of("\"address\":\"tenant\",\"subject\":\"get\"",
                "\"address\":\"credentials/" + tenantId + "\",\"subject\":\"get\"",
                "\"address\":\"registration/" + tenantId + "\",\"subject\":\"assert\"")) {
            assertEquals(true, registry.logLines(l -> l.contains("amqp request") && l.contains(lookup)).findAny().isPresent(), lookup);
        }
    }
}
