package devreg.interop.hono1;

import static devreg.interop.hono1.Hono1Clients.await;
import static devreg.interop.hono1.Hono1Clients.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.eclipse.hono.client.ClientErrorException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Fixtures;
import devreg.interop.Management;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;
import io.vertx.core.json.JsonObject;

/**
 * Hono 1.x's DeviceConnectionClient (docs/amqp-api.md §6); the registry's cache directives as Hono 1.x's
 * clients honour them, counted in the registry's metrics; the registry's log naming Hono's clients.
 */
@ExtendWith(SharedRegistry.class)
class DeviceConnectionAndCacheTest {

    private static Hono1Clients hono;
    private static Fixtures fixtures;
    private static Management api;
    private static RegistryProcess registry;

    @BeforeAll
    static void connect(final RegistryProcess running) {
        registry = running;
        hono = new Hono1Clients(registry);
        api = registry.management();
        fixtures = new Fixtures(api);
    }

    @AfterAll
    static void disconnect() {
        hono.close();
    }

    @Test
    void lastKnownGatewaySetWithSetLastGwIsReadBackWithGetLastGw() {
        final String tenantId = fixtures.tenant(null);
        final String gatewayId = fixtures.device(tenantId, "");
        final String deviceId = fixtures.device(tenantId, "\"via\": [\"%s\"]".formatted(gatewayId));

        await(hono.deviceConnection(tenantId).setLastKnownGatewayForDevice(deviceId, gatewayId, null));
        final JsonObject answer = await(hono.deviceConnection(tenantId).getLastKnownGatewayForDevice(deviceId, null));

        assertEquals(gatewayId, answer.getString("gateway-id"));
    }

    @Test
    void lastKnownGatewayOfADeviceThatNeverConnectedIsNotFound() {
        final String tenantId = fixtures.tenant(null);
        final Throwable failure = failure(hono.deviceConnection(tenantId).getLastKnownGatewayForDevice(Fixtures.id("quiet"), null));
        assertInstanceOf(ClientErrorException.class, failure);
        assertEquals(404, ((ClientErrorException) failure).getErrorCode());
    }

    @Test
    void secondTenantLookupWithinMaxAgeIsAnsweredFromHonosCache() {
        final String tenantId = fixtures.tenant(null);
        final long before = api.amqpRequests("tenant", "get");
        await(hono.tenant().get(tenantId));
        await(hono.tenant().get(tenantId));
        assertEquals(before + 1, api.amqpRequests("tenant", "get"));
    }

    @Test
    void secondAssertWithinMaxAgeIsAnsweredFromHonosCache() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final long before = api.amqpRequests("registration", "assert");
        await(hono.registration(tenantId).assertRegistration(deviceId));
        await(hono.registration(tenantId).assertRegistration(deviceId));
        assertEquals(before + 1, api.amqpRequests("registration", "assert"));
    }

    @Test
    void hashedPasswordCredentialsAreCachedButPreSharedKeysAreNot() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");
        final String pskId = Fixtures.id("psk");
        fixtures.credential(tenantId, deviceId, "psk", pskId, "[{\"key\": \"a2V5\"}]");

        final long before = api.amqpRequests("credentials", "get");
        await(hono.credentials(tenantId).get("hashed-password", authId));
        await(hono.credentials(tenantId).get("hashed-password", authId));
        assertEquals(before + 1, api.amqpRequests("credentials", "get"), "max-age: the second lookup stays in Hono's cache");
        await(hono.credentials(tenantId).get("psk", pskId));
        await(hono.credentials(tenantId).get("psk", pskId));
        assertEquals(before + 3, api.amqpRequests("credentials", "get"), "no-cache: both lookups reach the registry");
    }

    @Test
    void registryLogShowsHonosClientsAsThePeersOfItsConnectionsAndRequests() {
        final String tenantId = fixtures.tenant(null);
        await(hono.tenant().get(tenantId));

        final List<String> opened = registry.logLines(l -> l.contains("amqp connection opened")).toList();
        for (final String role : List.of("Tenant", "Device Registration", "Credentials", "Device Connection")) {
            assertTrue(opened.stream().anyMatch(l -> l.contains("\"container\":\"" + Hono1Clients.NAME + "-" + role + "-")),
                    "a connection of Hono's " + role + " client in " + opened);
        }
        assertTrue(registry.logLines(l -> l.contains("amqp request") && l.contains("\"address\":\"tenant\"")
                && l.contains("\"subject\":\"get\"")).findAny().isPresent());
    }
}
