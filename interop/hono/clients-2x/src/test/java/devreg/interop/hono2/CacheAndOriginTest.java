package devreg.interop.hono2;

import static devreg.interop.hono2.Hono2Clients.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Fixtures;
import devreg.interop.Management;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;

/**
 * The registry's cache directives as Hono's own response cache honours them, counted in the registry's
 * request metrics; and the registry's log naming Hono's clients as the peers.
 */
@ExtendWith(SharedRegistry.class)
class CacheAndOriginTest {

    private static Hono2Clients hono;
    private static Fixtures fixtures;
    private static Management api;
    private static RegistryProcess registry;

    @BeforeAll
    static void connect(final RegistryProcess running) {
        registry = running;
        hono = new Hono2Clients(registry);
        api = registry.management();
        fixtures = new Fixtures(api);
    }

    @AfterAll
    static void disconnect() {
        hono.close();
    }

    @Test
    void secondTenantLookupWithinMaxAgeIsAnsweredFromHonosCache() {
        final String tenantId = fixtures.tenant(null);
        final long before = api.amqpRequests("tenant", "get");
        await(hono.tenant.get(tenantId, null));
        await(hono.tenant.get(tenantId, null));
        assertEquals(before + 1, api.amqpRequests("tenant", "get"));
    }

    @Test
    void secondAssertWithinMaxAgeIsAnsweredFromHonosCache() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final long before = api.amqpRequests("registration", "assert");
        await(hono.registration.assertRegistration(tenantId, deviceId, null, null));
        await(hono.registration.assertRegistration(tenantId, deviceId, null, null));
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
        await(hono.credentials.get(tenantId, "hashed-password", authId, null));
        await(hono.credentials.get(tenantId, "hashed-password", authId, null));
        assertEquals(before + 1, api.amqpRequests("credentials", "get"), "max-age: the second lookup stays in Hono's cache");
        await(hono.credentials.get(tenantId, "psk", pskId, null));
        await(hono.credentials.get(tenantId, "psk", pskId, null));
        assertEquals(before + 3, api.amqpRequests("credentials", "get"), "no-cache: both lookups reach the registry");
    }

    @Test
    void registryLogShowsHonosClientsAsThePeersOfItsConnectionsAndRequests() {
        final String tenantId = fixtures.tenant(null);
        await(hono.tenant.get(tenantId, null));

        final List<String> opened = registry.logLines(l -> l.contains("amqp connection opened")).toList();
        for (final String role : List.of("Tenant", "Device Registration", "Credentials")) {
            assertTrue(opened.stream().anyMatch(l -> l.contains("\"container\":\"" + Hono2Clients.NAME + "-" + role + "-")),
                    "a connection of Hono's " + role + " client in " + opened);
        }
        assertTrue(registry.logLines(l -> l.contains("amqp request") && l.contains("\"address\":\"tenant\"")
                && l.contains("\"subject\":\"get\"")).findAny().isPresent());
    }
}
