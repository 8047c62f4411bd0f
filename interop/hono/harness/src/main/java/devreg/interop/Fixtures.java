package devreg.interop;

import java.util.UUID;

/**
 * The data both client versions are tested with, written through the management API as an operator
 * would. JSON is written out literally so that a reader sees exactly what the registry stored.
 */
public final class Fixtures {

    /** The password of every hashed-password credential the fixtures create. */
    public static final String PASSWORD = "hono-interop-secret";

    private final Management api;

    public Fixtures(final Management api) {
        this.api = api;
    }

    /** A fresh id, so that the tests of one run never share a tenant or device. */
    public static String id(final String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A tenant with adapters, defaults, limits and extension data, and the given trusted-ca array (or none). */
    public String tenant(final String trustedCa) {
        final String tenantId = id("tenant");
        api.create("/tenant", """
                {"tenant-id": "%s", "enabled": true,
                 "adapters": [{"type": "hono-http", "enabled": true, "device-authentication-required": true},
                              {"type": "hono-mqtt", "enabled": false}],
                 "defaults": {"content-type": "application/vnd.interop+json", "ttl": 30},
                 "minimum-message-size": 64,
                 "resource-limits": {"max-connections": 10},
                 "ext": {"operator": "interop"}%s}
                """.formatted(tenantId, trustedCa == null ? "" : ", \"trusted-ca\": " + trustedCa));
        return tenantId;
    }

    /** A trusted-ca entry for a CA certificate's public key, with auto-provisioning switched on. */
    public static String trustedCa(final Certificates.Issued ca) {
        return """
                {"subject-dn": "%s", "public-key": "%s", "algorithm": "EC", "auto-provisioning-enabled": true}
                """.formatted(ca.subjectDn(), ca.publicKeyDer());
    }

    /** A trusted-ca entry whose validity period ended a year ago. */
    public static String expiredCa(final Certificates.Issued ca) {
        return """
                {"subject-dn": "%s", "public-key": "%s", "algorithm": "EC",
                 "not-before": "2020-01-01T00:00:00Z", "not-after": "2021-01-01T00:00:00Z"}
                """.formatted(ca.subjectDn(), ca.publicKeyDer());
    }

    /** Registers a device with the given registration data (a JSON object's members, without braces). */
    public String device(final String tenantId, final String members) {
        final String deviceId = id("device");
        api.create("/registration/" + Management.segment(tenantId), "{\"device-id\": \"%s\"%s}".formatted(deviceId,
                members.isBlank() ? "" : ", " + members));
        return deviceId;
    }

    /** A hashed-password credential (pwd-plain, hashed by the registry) for a device; returns its auth-id. */
    public String password(final String tenantId, final String deviceId, final String extraMembers) {
        final String authId = id("user");
        api.create("/credentials/" + Management.segment(tenantId), """
                {"device-id": "%s", "type": "hashed-password", "auth-id": "%s",
                 "secrets": [{"pwd-plain": "%s", "not-before": "2020-01-01T00:00:00Z", "not-after": "2037-06-01T14:00:00+01:00"}]%s}
                """.formatted(deviceId, authId, PASSWORD, extraMembers.isBlank() ? "" : ", " + extraMembers));
        return authId;
    }

    /** Deletes a device (it goes onto the tenant's denied list). */
    public void deleteDevice(final String tenantId, final String deviceId) {
        api.remove("/registration/" + Management.segment(tenantId) + "/" + Management.segment(deviceId));
    }

    /** Whether GET /denied-devices lists the device. */
    public boolean isDenied(final String tenantId, final String deviceId) {
        return api.get("/denied-devices/" + Management.segment(tenantId)).body().contains("\"" + deviceId + "\"");
    }

    /** The credentials record as GET /credentials/{tenant}/{auth-id}/{type} shows it (JSON text). */
    public String storedCredentials(final String tenantId, final String authId, final String type) {
        return api.get("/credentials/" + Management.segment(tenantId) + "/" + Management.segment(authId) + "/" + Management.segment(type)).body();
    }

    /** A credential of any type with the given secrets array. */
    public void credential(final String tenantId, final String deviceId, final String type, final String authId, final String secrets) {
        api.create("/credentials/" + Management.segment(tenantId), """
                {"device-id": "%s", "type": "%s", "auth-id": "%s", "secrets": %s}
                """.formatted(deviceId, type, authId, secrets));
    }

    public Management api() {
        return api;
    }
}
