package devreg.interop.hono2;

import static devreg.interop.hono2.Hono2Clients.await;
import static devreg.interop.hono2.Hono2Clients.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.List;
import java.util.stream.Stream;

import org.eclipse.hono.client.ClientErrorException;
import org.eclipse.hono.util.RegistrationAssertion;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Fixtures;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;
import io.vertx.core.json.JsonObject;

/** Hono 2.x's ProtonBasedDeviceRegistrationClient: `assert` (docs/amqp-api.md §4). */
@ExtendWith(SharedRegistry.class)
class RegistrationApiTest {

    private static Hono2Clients hono;
    private static Fixtures fixtures;
    private static String tenantId;
    private static RegistryProcess registry;

    @BeforeAll
    static void connect(final RegistryProcess running) {
        registry = running;
        hono = new Hono2Clients(registry);
        fixtures = new Fixtures(registry.management());
        tenantId = fixtures.tenant(null);
    }

    @AfterAll
    static void disconnect() {
        hono.close();
    }

    private static int statusOf(final Throwable failure) {
        assertInstanceOf(ClientErrorException.class, failure);
        return ((ClientErrorException) failure).getErrorCode();
    }

    @Test
    void assertOfADeviceParsesIntoTheAssertionOfWhatTheManagementApiStored() {
        final String gatewayId = fixtures.device(tenantId, "");
        final String deviceId = fixtures.device(tenantId, """
                "via": ["%s"], "defaults": {"content-type": "text/plain", "ttl": 60}, "mapper": "interop-mapper",
                "ext": {"note": "kept"}""".formatted(gatewayId));
        final JsonObject stored = new JsonObject(fixtures.api().get("/registration/" + tenantId + "/" + deviceId).body()).getJsonObject("data");

        final RegistrationAssertion assertion = await(hono.registration.assertRegistration(tenantId, deviceId, null, null));

        assertEquals(deviceId, assertion.getDeviceId());
        assertEquals(stored.getJsonArray("via").getList(), assertion.getAuthorizedGateways());
        assertEquals(stored.getJsonObject("defaults").getMap(), assertion.getDefaults());
        assertEquals(stored.getString("mapper"), assertion.getDownstreamMessageMapper());
    }

    @Test
    void assertCarriesBothMessageMappersUnderTheNamesHono18AndLaterRead() {
        final String deviceId = fixtures.device(tenantId,
                "\"downstream-message-mapper\": \"interop-down\", \"upstream-message-mapper\": \"interop-up\"");

        final RegistrationAssertion assertion = await(hono.registration.assertRegistration(tenantId, deviceId, null, null));

        assertEquals("interop-down", assertion.getDownstreamMessageMapper());
        assertEquals("interop-up", assertion.getUpstreamMessageMapper());
    }

    @Test
    void assertOfADisabledDeviceFailsWithHonosNotFoundError() {
        final String deviceId = fixtures.device(tenantId, "\"enabled\": false");

        assertEquals(404, statusOf(failure(hono.registration.assertRegistration(tenantId, deviceId, null, null))));
    }

    @Test
    void assertOfAnUnknownDeviceFailsWithHonosNotFoundError() {
        assertEquals(404, statusOf(failure(hono.registration.assertRegistration(tenantId, Fixtures.id("nobody"), null, null))));
    }

    @Test
    void assertThroughAGatewayListedInViaSucceeds() {
        final String gatewayId = fixtures.device(tenantId, "");
        final String deviceId = fixtures.device(tenantId, "\"via\": [\"%s\"]".formatted(gatewayId));

        final RegistrationAssertion assertion = await(hono.registration.assertRegistration(tenantId, deviceId, gatewayId, null));

        assertEquals(deviceId, assertion.getDeviceId());
        assertEquals(List.of(gatewayId), assertion.getAuthorizedGateways());
    }

    @Test
    void assertThroughAGatewayOfAGroupInViaGroupsListsEveryMemberOfTheGroup() {
        // via: the device's own via first, then every member of its groups in id order (docs/amqp-api.md §4).
        final String group = Fixtures.id("gateways");
        final String direct = fixtures.device(tenantId, "");
        final String first = fixtures.device(tenantId, "\"memberOf\": [\"%s\"]".formatted(group));
        final String second = fixtures.device(tenantId, "\"memberOf\": [\"%s\"]".formatted(group));
        final String deviceId = fixtures.device(tenantId, "\"via\": [\"%s\"], \"viaGroups\": [\"%s\"]".formatted(direct, group));
        final List<String> expected = Stream.concat(Stream.of(direct), Stream.of(first, second).sorted()).toList();

        for (final String gatewayId : List.of(first, second, direct)) {
            final RegistrationAssertion assertion = await(hono.registration.assertRegistration(tenantId, deviceId, gatewayId, null));
            assertEquals(deviceId, assertion.getDeviceId());
            assertEquals(expected, assertion.getAuthorizedGateways(), "via asserted through " + gatewayId);
        }
    }

    @Test
    void assertThroughAGatewayNotAuthorisedForTheDeviceFailsWithForbidden() {
        final String gatewayId = fixtures.device(tenantId, "");
        final String otherGateway = fixtures.device(tenantId, "");
        final String deviceId = fixtures.device(tenantId, "\"via\": [\"%s\"]".formatted(gatewayId));

        assertEquals(403, statusOf(failure(hono.registration.assertRegistration(tenantId, deviceId, otherGateway, null))));
    }

    @Test
    void assertOfADeletedDeviceFailsBecauseItIsOnTheDeniedList() {
        final String deviceId = fixtures.device(tenantId, "");
        await(hono.registration.assertRegistration(tenantId, deviceId, null, null));
        fixtures.deleteDevice(tenantId, deviceId);

        // A fresh client: the first one may answer from its cache for the max-age it was given.
        try (Hono2Clients fresh = new Hono2Clients(registry)) {
            assertEquals(404, statusOf(failure(fresh.registration.assertRegistration(tenantId, deviceId, null, null))));
        }
        assertTrue(fixtures.isDenied(tenantId, deviceId));
    }
}
