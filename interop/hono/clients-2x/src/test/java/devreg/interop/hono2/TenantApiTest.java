package devreg.interop.hono2;

import static devreg.interop.hono2.Hono2Clients.await;
import static devreg.interop.hono2.Hono2Clients.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.cert.TrustAnchor;
import java.util.Set;

import javax.security.auth.x500.X500Principal;

import org.eclipse.hono.client.ClientErrorException;
import org.eclipse.hono.util.TenantObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import devreg.interop.Certificates;
import devreg.interop.Fixtures;
import devreg.interop.Management;
import devreg.interop.RegistryProcess;
import devreg.interop.SharedRegistry;
import io.vertx.core.json.JsonObject;

/** Hono 2.x's ProtonBasedTenantClient against the registry (docs/amqp-api.md §3). */
@ExtendWith(SharedRegistry.class)
class TenantApiTest {

    private static Hono2Clients hono;
    private static Fixtures fixtures;
    private static final Certificates CERTS = new Certificates();

    @BeforeAll
    static void connect(final RegistryProcess registry) {
        hono = new Hono2Clients(registry);
        fixtures = new Fixtures(registry.management());
    }

    @AfterAll
    static void disconnect() {
        hono.close();
    }

    @Test
    void tenantByIdParsesIntoTheTenantObjectTheManagementApiStored() {
        final Certificates.Issued ca = CERTS.ca("/O=Interop/CN=" + Fixtures.id("ca"));
        final String tenantId = fixtures.tenant("[" + Fixtures.trustedCa(ca) + "]");
        final JsonObject stored = new JsonObject(fixtures.api().get("/tenant/" + tenantId).body());

        final TenantObject tenant = await(hono.tenant.get(tenantId, null));

        assertEquals(tenantId, tenant.getTenantId());
        assertTrue(tenant.isEnabled());
        assertTrue(tenant.isAdapterEnabled("hono-http"));
        assertFalse(tenant.isAdapterEnabled("hono-mqtt"));
        assertTrue(tenant.getAdapter("hono-http").isDeviceAuthenticationRequired());
        assertEquals(stored.getJsonObject("defaults"), tenant.getDefaults());
        assertEquals(stored.getInteger("minimum-message-size"), tenant.getMinimumMessageSize());
        assertEquals(10, tenant.getResourceLimits().getMaxConnections());
        assertEquals(stored.getJsonObject("ext"), tenant.getProperty("ext", JsonObject.class));
        final Set<TrustAnchor> anchors = tenant.getTrustAnchors();
        assertEquals(1, anchors.size());
        final TrustAnchor anchor = anchors.iterator().next();
        assertEquals(ca.certificate().getSubjectX500Principal(), anchor.getCA());
        assertEquals(ca.certificate().getPublicKey(), anchor.getCAPublicKey());
        assertTrue(tenant.isAutoProvisioningEnabled(ca.subjectDn()));
    }

    @Test
    void tenantByTrustedCaSubjectDnIsTheTenantOfThatCa() {
        final Certificates.Issued ca = CERTS.ca("/O=Interop/OU=Devices/CN=" + Fixtures.id("ca"));
        final String tenantId = fixtures.tenant("[" + Fixtures.trustedCa(ca) + "]");

        final TenantObject tenant = await(hono.tenant.get(ca.certificate().getSubjectX500Principal(), null));

        assertEquals(tenantId, tenant.getTenantId());
        assertEquals(ca.certificate().getPublicKey(), tenant.getTrustAnchors().iterator().next().getCAPublicKey());
    }

    @Test
    void tenantByExpiredCaSubjectDnOffersNoTrustAnchorForThatCa() {
        final Certificates.Issued expired = CERTS.ca("/O=Interop/CN=" + Fixtures.id("expired-ca"));
        final String tenantId = fixtures.tenant("[" + Fixtures.expiredCa(expired) + "]");

        // As Hono's registries do: the tenant is found, its CAs not valid now are left out, so an
        // adapter has no trust anchor to accept a certificate issued by the expired CA.
        final TenantObject tenant = await(hono.tenant.get(expired.certificate().getSubjectX500Principal(), null));

        assertEquals(tenantId, tenant.getTenantId());
        assertTrue(tenant.getTrustAnchors().isEmpty());
    }

    @Test
    void tenantWithAValidAndAnExpiredCaOffersOnlyTheValidOneAsTrustAnchor() {
        final Certificates.Issued valid = CERTS.ca("/O=Interop/CN=" + Fixtures.id("valid-ca"));
        final Certificates.Issued expired = CERTS.ca("/O=Interop/CN=" + Fixtures.id("expired-ca"));
        final String tenantId = fixtures.tenant("[" + Fixtures.expiredCa(expired) + ", " + Fixtures.trustedCa(valid) + "]");

        final TenantObject tenant = await(hono.tenant.get(tenantId, null));

        assertEquals(Set.of(valid.certificate().getSubjectX500Principal()),
                tenant.getTrustAnchors().stream().map(TrustAnchor::getCA).collect(java.util.stream.Collectors.toSet()));
    }

    @Test
    void unknownTenantIsNotFound() {
        final Throwable failure = failure(hono.tenant.get(Fixtures.id("no-such-tenant"), null));

        assertInstanceOf(ClientErrorException.class, failure);
        assertEquals(404, ((ClientErrorException) failure).getErrorCode());
        final Throwable byDn = failure(hono.tenant.get(new X500Principal("CN=" + Fixtures.id("unknown-ca")), null));
        assertEquals(404, ((ClientErrorException) byDn).getErrorCode());
    }

    @Test
    void disabledTenantIsReportedDisabled() {
        final String tenantId = fixtures.tenant(null);
        fixtures.api().replace("/tenant/" + Management.segment(tenantId), "{\"enabled\": false}");

        final TenantObject tenant = await(hono.tenant.get(tenantId, null));

        assertFalse(tenant.isEnabled());
    }
}
