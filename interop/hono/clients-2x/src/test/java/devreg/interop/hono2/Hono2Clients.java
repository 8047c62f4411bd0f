package devreg.interop.hono2;

import org.eclipse.hono.client.amqp.config.RequestResponseClientConfigProperties;
import org.eclipse.hono.client.amqp.connection.HonoConnection;
import org.eclipse.hono.client.amqp.connection.SendMessageSampler;
import org.eclipse.hono.client.registry.amqp.ProtonBasedCredentialsClient;
import org.eclipse.hono.client.registry.amqp.ProtonBasedDeviceRegistrationClient;
import org.eclipse.hono.client.registry.amqp.ProtonBasedTenantClient;
import org.eclipse.hono.service.cache.Caches;

import devreg.interop.Await;
import devreg.interop.RegistryProcess;
import io.opentracing.noop.NoopTracerFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Hono 2.x's Tenant, Device Registration and Credentials clients, set up as Hono's protocol adapters set
 * them up (AbstractProtocolAdapterApplication): one connection per service, SASL PLAIN with an account of
 * the registry's accounts file, a 200 ms request timeout and Hono's Caffeine response cache.
 */
final class Hono2Clients implements AutoCloseable {

    /** The container id of every connection starts with this (ConnectionFactory: name-serverRole-uuid). */
    static final String NAME = "hono-client-2.6.0";

    final Vertx vertx = Vertx.vertx();
    final ProtonBasedTenantClient tenant;
    final ProtonBasedDeviceRegistrationClient registration;
    final ProtonBasedCredentialsClient credentials;

    Hono2Clients(final RegistryProcess registry) {
        final var tracer = NoopTracerFactory.create();
        final RequestResponseClientConfigProperties tenantConfig = config(registry, "Tenant");
        final RequestResponseClientConfigProperties registrationConfig = config(registry, "Device Registration");
        final RequestResponseClientConfigProperties credentialsConfig = config(registry, "Credentials");
        tenant = new ProtonBasedTenantClient(HonoConnection.newConnection(vertx, tenantConfig, tracer),
                SendMessageSampler.Factory.noop(), Caches.newCaffeineCache(tenantConfig));
        registration = new ProtonBasedDeviceRegistrationClient(HonoConnection.newConnection(vertx, registrationConfig, tracer),
                SendMessageSampler.Factory.noop(), Caches.newCaffeineCache(registrationConfig));
        credentials = new ProtonBasedCredentialsClient(HonoConnection.newConnection(vertx, credentialsConfig, tracer),
                SendMessageSampler.Factory.noop(), Caches.newCaffeineCache(credentialsConfig));
        await(Future.all(tenant.start(), registration.start(), credentials.start()));
    }

    private static RequestResponseClientConfigProperties config(final RegistryProcess registry, final String role) {
        final RequestResponseClientConfigProperties config = new RequestResponseClientConfigProperties();
        config.setName(NAME);
        config.setServerRole(role);
        config.setHost(registry.host());
        config.setPort(registry.amqpPort());
        config.setUsername(RegistryProcess.AMQP_USER);
        config.setPassword(registry.adapterPassword());
        config.setRequestTimeout(200);
        config.setResponseCacheMinSize(20);
        config.setResponseCacheMaxSize(1000);
        return config;
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
        await(Future.join(tenant.stop(), registration.stop(), credentials.stop()));
        await(vertx.close());
    }
}
