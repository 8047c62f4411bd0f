package devreg.interop.hono1;

import org.eclipse.hono.client.CredentialsClient;
import org.eclipse.hono.client.CredentialsClientFactory;
import org.eclipse.hono.client.DeviceConnectionClient;
import org.eclipse.hono.client.DeviceConnectionClientFactory;
import org.eclipse.hono.client.HonoConnection;
import org.eclipse.hono.client.RegistrationClient;
import org.eclipse.hono.client.RegistrationClientFactory;
import org.eclipse.hono.client.RequestResponseClientConfigProperties;
import org.eclipse.hono.client.SendMessageSampler;
import org.eclipse.hono.client.TenantClient;
import org.eclipse.hono.client.TenantClientFactory;

import devreg.interop.Await;
import devreg.interop.RegistryProcess;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Hono 1.x's client factories (hono-client): Tenant, Registration, Credentials and Device Connection, one
 * connection each as Hono's 1.x adapters configure them (HONO_TENANT_*, HONO_REGISTRATION_* …): SASL PLAIN
 * with an account of the registry's accounts file, a 200 ms request timeout, response caching on.
 */
final class Hono1Clients implements AutoCloseable {

    /** The container id of every connection starts with this (name-serverRole-uuid). */
    static final String NAME = "hono-client-1.12.3";

    final Vertx vertx = Vertx.vertx();
    private final TenantClientFactory tenants;
    private final RegistrationClientFactory registrations;
    private final CredentialsClientFactory credentials;
    private final DeviceConnectionClientFactory deviceConnections;

    Hono1Clients(final RegistryProcess registry) {
        final ExpiringCacheProvider cache = new ExpiringCacheProvider();
        tenants = TenantClientFactory.create(connection(registry, "Tenant"), cache, SendMessageSampler.Factory.noop());
        registrations = RegistrationClientFactory.create(connection(registry, "Device Registration"), cache, SendMessageSampler.Factory.noop());
        credentials = CredentialsClientFactory.create(connection(registry, "Credentials"), cache, SendMessageSampler.Factory.noop());
        deviceConnections = DeviceConnectionClientFactory.create(connection(registry, "Device Connection"), SendMessageSampler.Factory.noop());
        await(CompositeFuture.all(tenants.connect(), registrations.connect(), credentials.connect(), deviceConnections.connect()));
    }

    private HonoConnection connection(final RegistryProcess registry, final String role) {
        final RequestResponseClientConfigProperties config = new RequestResponseClientConfigProperties();
        config.setName(NAME);
        config.setServerRole(role);
        config.setHost(registry.host());
        config.setPort(registry.amqpPort());
        config.setUsername(RegistryProcess.AMQP_USER);
        config.setPassword(registry.adapterPassword());
        config.setRequestTimeout(200);
        return HonoConnection.newConnection(vertx, config);
    }

    TenantClient tenant() {
        return await(tenants.getOrCreateTenantClient());
    }

    RegistrationClient registration(final String tenantId) {
        return await(registrations.getOrCreateRegistrationClient(tenantId));
    }

    CredentialsClient credentials(final String tenantId) {
        return await(credentials.getOrCreateCredentialsClient(tenantId));
    }

    DeviceConnectionClient deviceConnection(final String tenantId) {
        return await(deviceConnections.getOrCreateDeviceConnectionClient(tenantId));
    }

    /** The result of one of Hono's futures (Await.result). */
    static <T> T await(final Future<T> future) {
        return Await.result(future.toCompletionStage());
    }

    /** The failure of one of Hono's futures that must fail. */
    static Throwable failure(final Future<?> future) {
        return Await.failure(future.toCompletionStage());
    }

    @Override
    public void close() {
        tenants.disconnect();
        registrations.disconnect();
        credentials.disconnect();
        deviceConnections.disconnect();
        await(vertx.close());
    }
}
