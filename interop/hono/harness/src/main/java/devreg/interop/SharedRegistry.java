package devreg.interop;

import java.util.Map;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: one registry (with its redis-server) for all test classes of a module, started on first
 * use and stopped when the test run ends. Test methods and constructors receive it as a parameter.
 */
public final class SharedRegistry implements ParameterResolver {

    @Override
    public boolean supportsParameter(final ParameterContext parameter, final ExtensionContext context) {
        return parameter.getParameter().getType() == RegistryProcess.class;
    }

    @Override
    public Object resolveParameter(final ParameterContext parameter, final ExtensionContext context) {
        final ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.create(SharedRegistry.class));
        return store.getOrComputeIfAbsent("registry", k -> new Holder(RegistryProcess.start(moduleName(), Map.of())), Holder.class).registry;
    }

    private static String moduleName() {
        return java.nio.file.Path.of("").toAbsolutePath().getFileName().toString();
    }

    /** Closed by JUnit when the root context ends. */
    private record Holder(RegistryProcess registry) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            registry.close();
        }
    }
}
