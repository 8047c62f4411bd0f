package devreg.interop.adapter;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.qpid.proton.amqp.Binary;
import org.apache.qpid.proton.amqp.messaging.Data;
import org.apache.qpid.proton.message.Message;

import io.vertx.core.Vertx;
import io.vertx.proton.ProtonClient;
import io.vertx.proton.ProtonClientOptions;
import io.vertx.proton.ProtonConnection;

/** An AMQP 1.0 receiver on the broker's {@code telemetry/<tenant>} address, as a northbound application attaches. */
final class TelemetryConsumer implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
    private final ProtonConnection connection;

    TelemetryConsumer(final int brokerPort, final String tenantId) throws Exception {
        final CompletableFuture<ProtonConnection> opened = new CompletableFuture<>();
        ProtonClient.create(vertx).connect(new ProtonClientOptions(), "127.0.0.1", brokerPort, "consumer", "unused", ar -> {
            if (ar.failed()) {
                opened.completeExceptionally(ar.cause());
                return;
            }
            final ProtonConnection c = ar.result();
            c.openHandler(o -> {
                c.createReceiver("telemetry/" + tenantId)
                        .handler((delivery, message) -> received.add(message))
                        .openHandler(r -> {
                            if (r.succeeded()) {
                                opened.complete(c);
                            } else {
                                opened.completeExceptionally(r.cause());
                            }
                        })
                        .open();
            }).open();
        });
        connection = opened.get(20, TimeUnit.SECONDS);
    }

    /** A message's Data body as UTF-8 text. */
    static String payloadOf(final Message message) {
        final Binary body = ((Data) message.getBody()).getValue();
        return new String(body.getArray(), body.getArrayOffset(), body.getLength(), StandardCharsets.UTF_8);
    }

    /** The next message, or null after the timeout. */
    Message next(final long timeoutSeconds) throws InterruptedException {
        return received.poll(timeoutSeconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        vertx.runOnContext(v -> connection.close());
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
}
