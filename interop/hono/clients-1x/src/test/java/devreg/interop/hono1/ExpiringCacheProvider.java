package devreg.interop.hono1;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.hono.cache.CacheProvider;
import org.eclipse.hono.cache.ExpiringValueCache;

/**
 * The response cache store of Hono 1.x's clients. Hono's own implementation (CaffeineCacheProvider) is in
 * hono-service-base, which Maven Central does not have for 1.12.3; the client decides what to cache and
 * for how long (from the answer's cache directive) and calls put with that expiry, which this store keeps.
 */
final class ExpiringCacheProvider implements CacheProvider {

    private final Map<String, ExpiringValueCache<Object, Object>> caches = new ConcurrentHashMap<>();

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> ExpiringValueCache<K, V> getCache(final String name) {
        return (ExpiringValueCache<K, V>) (ExpiringValueCache<?, ?>) caches.computeIfAbsent(name, n -> new Store());
    }

    private static final class Store implements ExpiringValueCache<Object, Object> {

        private record Entry(Object value, Instant expires) {
        }

        private final Map<Object, Entry> entries = new ConcurrentHashMap<>();

        @Override
        public void put(final Object key, final Object value, final Instant expirationTime) {
            entries.put(key, new Entry(value, expirationTime));
        }

        @Override
        public void put(final Object key, final Object value, final Duration maxAge) {
            put(key, value, Instant.now().plus(maxAge));
        }

        @Override
        public Object get(final Object key) {
            final Entry entry = entries.get(key);
            if (entry == null || !Instant.now().isBefore(entry.expires())) {
                entries.remove(key);
                return null;
            }
            return entry.value();
        }
    }
}
