package devreg.interop.hono2;

import static devreg.interop.hono2.Hono2Clients.await;
import static devreg.interop.hono2.Hono2Clients.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;

import org.eclipse.hono.client.ClientErrorException;
import org.eclipse.hono.util.CredentialsObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Certificates;
import devreg.interop.Fixtures;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Hono 2.x's ProtonBasedCredentialsClient: `get` (docs/amqp-api.md §5). */
@ExtendWith(SharedRegistry.class)
class CredentialsApiTest {

    private static Hono2Clients hono;
    private static Fixtures fixtures;
    private static RegistryProcess registry;
    private static final Certificates CERTS = new Certificates();

    @BeforeAll
    static void connect(final RegistryProcess running) {
        registry = running;
        hono = new Hono2Clients(registry);
        fixtures = new Fixtures(registry.management());
    }

    @AfterAll
    static void disconnect() {
        hono.close();
    }

    private static int statusOf(final Throwable failure) {
        assertInstanceOf(ClientErrorException.class, failure);
        return ((ClientErrorException) failure).getErrorCode();
    }

    /** The record as GET /credentials/{tenant}/{auth-id}/{type} shows it. */
    private static JsonObject stored(final String tenantId, final String authId, final String type) {
        return new JsonObject(fixtures.storedCredentials(tenantId, authId, type));
    }

    private static void assertSameRecord(final JsonObject stored, final CredentialsObject parsed) {
        assertEquals(stored.getString("device-id"), parsed.getDeviceId());
        assertEquals(stored.getString("type"), parsed.getType());
        assertEquals(stored.getString("auth-id"), parsed.getAuthId());
        assertTrue(parsed.isEnabled());
        assertEquals(stored.getJsonArray("secrets"), parsed.getSecrets());
        parsed.checkValidity();
    }

    @Test
    void hashedPasswordParsesIntoTheCredentialsObjectTheManagementApiStored() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");

        final CredentialsObject credentials = await(hono.credentials.get(tenantId, "hashed-password", authId, null));

        assertSameRecord(stored(tenantId, authId, "hashed-password"), credentials);
        final JsonObject secret = credentials.getCandidateSecrets().get(0);
        assertEquals("bcrypt", secret.getString("hash-function"));
        assertTrue(secret.getString("pwd-hash").startsWith("$2a$"));
        assertTrue(CredentialsObject.isInValidityPeriod(secret, Instant.now()));
    }

    @Test
    void preSharedKeyParsesIntoTheCredentialsObjectTheManagementApiStored() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = Fixtures.id("psk-identity");
        fixtures.credential(tenantId, deviceId, "psk", authId, "[{\"key\": \"c2VjcmV0LWtleS1vZi10aGUtZGV2aWNl\"}]");

        final CredentialsObject credentials = await(hono.credentials.get(tenantId, "psk", authId, null));

        assertSameRecord(stored(tenantId, authId, "psk"), credentials);
        assertEquals("c2VjcmV0LWtleS1vZi10aGUtZGV2aWNl", credentials.getCandidateSecrets().get(0).getString("key"));
    }

    @Test
    void x509CertificateCredentialsAreFoundBySubjectDn() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String subjectDn = "CN=" + Fixtures.id("device") + ",OU=Sensors,O=Interop";
        fixtures.credential(tenantId, deviceId, "x509-cert", subjectDn, "[{}]");

        final CredentialsObject credentials = await(hono.credentials.get(tenantId, "x509-cert", subjectDn, null));

        assertSameRecord(stored(tenantId, subjectDn, "x509-cert"), credentials);
    }

    @Test
    void credentialsOfAnyOtherTypeAreFoundWithTheirSecretsAsStored() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = Fixtures.id("token");
        fixtures.credential(tenantId, deviceId, "interop-token", authId, "[{\"token\": \"abc\", \"scope\": [\"telemetry\"]}]");

        final CredentialsObject credentials = await(hono.credentials.get(tenantId, "interop-token", authId, null));

        assertSameRecord(stored(tenantId, authId, "interop-token"), credentials);
    }

    @Test
    void clientContextAsHonosMqttAdapterSendsItFindsCredentialsWithoutThatProperty() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");

        // Hono's MQTT adapter (1.5 and later) passes the MQTT client id as client context.
        final JsonObject context = new JsonObject().put("client-id", "mqtt-client-1");
        final CredentialsObject credentials = await(hono.credentials.get(tenantId, "hashed-password", authId, context, null));

        assertEquals(deviceId, credentials.getDeviceId());
    }

    @Test
    void clientContextIsMatchedAgainstTheCredentialsExtensionProperties() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "\"ext\": {\"client-id\": \"mqtt-client-1\"}");

        final JsonObject matching = new JsonObject().put("client-id", "mqtt-client-1");
        assertEquals(deviceId, await(hono.credentials.get(tenantId, "hashed-password", authId, matching, null)).getDeviceId());
        final JsonObject other = new JsonObject().put("client-id", "mqtt-client-2");
        assertEquals(404, statusOf(failure(hono.credentials.get(tenantId, "hashed-password", authId, other, null))));
    }

    @Test
    void unknownAuthIdIsNotFound() {
        final String tenantId = fixtures.tenant(null);

        assertEquals(404, statusOf(failure(hono.credentials.get(tenantId, "hashed-password", Fixtures.id("nobody"), null))));
    }

    @Test
    void x509AutoProvisioningGivesTheClientTheNewDevicesCredentials() throws Exception {
        final Certificates.Issued ca = CERTS.ca("/O=Interop/CN=" + Fixtures.id("provisioning-ca"));
        final String tenantId = fixtures.tenant("[" + Fixtures.trustedCa(ca) + "]");
        final Certificates.Issued device = CERTS.device(ca, "/O=Interop/CN=" + Fixtures.id("new-device"));

        // What Hono's X.509 authentication sends when the tenant's CA allows auto-provisioning.
        final JsonObject context = new JsonObject().put("client-certificate", device.certificate().getEncoded());
        final CredentialsObject credentials = await(hono.credentials.get(tenantId, "x509-cert", device.subjectDn(), context, null));

        assertEquals("x509-cert", credentials.getType());
        assertEquals(device.subjectDn(), credentials.getAuthId());
        final String deviceId = credentials.getDeviceId();
        assertEquals(200, fixtures.api().get("/registration/" + tenantId + "/" + deviceId).status());
        assertSameRecord(stored(tenantId, device.subjectDn(), "x509-cert"), credentials);
        assertEquals(deviceId, await(hono.registration.assertRegistration(tenantId, deviceId, null, null)).getDeviceId());
    }

    @Test
    void credentialsOfADeletedDeviceAreNotFound() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = fixtures.password(tenantId, deviceId, "");
        fixtures.deleteDevice(tenantId, deviceId);

        try (Hono2Clients fresh = new Hono2Clients(registry)) {
            assertEquals(404, statusOf(failure(fresh.credentials.get(tenantId, "hashed-password", authId, null))));
        }
        assertTrue(fixtures.isDenied(tenantId, deviceId));
    }

    @Test
    void disabledCredentialsAreNotFound() {
        final String tenantId = fixtures.tenant(null);
        final String deviceId = fixtures.device(tenantId, "");
        final String authId = Fixtures.id("psk-identity");
        fixtures.credential(tenantId, deviceId, "psk", authId, "[{\"key\": \"a2V5\"}]");
        fixtures.api().replace("/credentials/" + tenantId + "/" + authId + "/psk", """
                {"device-id": "%s", "type": "psk", "auth-id": "%s", "enabled": false, "secrets": [{"key": "a2V5"}]}
                """.formatted(deviceId, authId));

        assertEquals(404, statusOf(failure(hono.credentials.get(tenantId, "psk", authId, null))));
        assertEquals(new JsonArray().add(new JsonObject().put("key", "a2V5")), stored(tenantId, authId, "psk").getJsonArray("secrets"));
    }
}
