package devreg.interop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry's HTTP management API (README "HTTP management API") and its Prometheus metrics.
 * Bodies are JSON text; the tests build and read them with the JSON classes of the Hono version they use.
 */
public final class Management {

    /** A status and body. */
    public record Response(int status, String body) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    Management(final String base, final String token) {
        this.base = base;
        this.token = token;
    }

    /** Percent-encodes one path segment (a tenant, device or auth id). */
    public static String segment(final String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    public Response get(final String path) {
        return send(request(path).GET());
    }

    public Response delete(final String path) {
        return send(request(path).DELETE());
    }

    public Response post(final String path, final String json) {
        return send(request(path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Response put(final String path, final String json) {
        return send(request(path).header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** POST or PUT that must succeed (201 or 204): the tests' fixtures. */
    public void create(final String path, final String json) {
        expect(post(path, json), 201, "POST " + path);
    }

    public void replace(final String path, final String json) {
        expect(put(path, json), 204, "PUT " + path);
    }

    public void remove(final String path) {
        expect(delete(path), 204, "DELETE " + path);
    }

    private static void expect(final Response r, final int status, final String what) {
        if (r.status() != status) {
            throw new IllegalStateException(what + " answered " + r.status() + ": " + r.body());
        }
    }

    /**
     * How many AMQP requests the registry has answered for an endpoint and operation (all statuses): the
     * sum of {@code registry_amqp_request_duration_seconds_count} over its series (docs/metrics.md).
     */
    public long amqpRequests(final String endpoint, final String operation) {
        final Response r = send(HttpRequest.newBuilder(URI.create(base + "/metrics")).timeout(Duration.ofSeconds(10)).GET());
        final Pattern series = Pattern.compile("^registry_amqp_request_duration_seconds_count\\{([^}]*)\\} (\\d+)$", Pattern.MULTILINE);
        long sum = 0;
        final Matcher m = series.matcher(r.body());
        while (m.find()) {
            final String labels = m.group(1);
            if (labels.contains("endpoint=\"" + endpoint + "\"") && labels.contains("operation=\"" + operation + "\"")) {
                sum += Long.parseLong(m.group(2));
            }
        }
        return sum;
    }

    private HttpRequest.Builder request(final String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token);
    }

    private Response send(final HttpRequest.Builder builder) {
        try {
            final HttpResponse<String> r = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
