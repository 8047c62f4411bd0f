package devreg.interop;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for the outcome of a client call (Hono's vert.x futures, via their toCompletionStage()). */
public final class Await {

    private Await() {
    }

    /** The result; a failure is rethrown as it is (Hono's ClientErrorException …). Every call here is answered well within 10 s. */
    public static <T> T result(final CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (final ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (final TimeoutException e) {
            throw new IllegalStateException("no outcome within 10 s", e);
        }
    }

    /** The failure of a call that must fail. */
    public static Throwable failure(final CompletionStage<?> stage) {
        try {
            final Object value = result(stage);
            throw new AssertionError("expected a failure, got " + value);
        } catch (final RuntimeException e) {
            return e;
        }
    }
}
