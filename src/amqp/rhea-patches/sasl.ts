/**
 * SASL on the server side. rhea creates a mechanism without telling it which connection it serves,
 * and answers only `ok` or `auth`. The registry's PLAIN login needs the connection (its peer
 * address for per-address limits, its socket to drop work for a client that left) and answers a
 * refused attempt with `sys-temp` (RFC 4422 / AMQP 1.0 §5.3.3.6: a temporary failure, as Hono's
 * own servers answer when they cannot take a login now).
 *
 * So: a mechanism factory is called with the connection (and only the mechanisms the server
 * offers can be chosen: rhea would also call inherited helpers such as enable_plain), and a mechanism that ends with
 * `outcome === false` and a numeric `code` of 2 (sys), 3 (sys-perm) or 4 (sys-temp) gets that
 * code in its sasl-outcome. Without the patch such a mechanism still fails with `auth`.
 */
import { shapeProblems, wrapMethod, type RheaPatch } from './lib.js';

interface Mechanism {
  outcome?: boolean;
  code?: number;
}

interface SaslServerInternals {
  connection: { output(): void };
  mechanisms: Record<string, unknown>;
  mechanism?: Mechanism;
  outcome?: number;
  transport: { encode(frame: unknown): void };
}

type Factory = (connection?: unknown) => Mechanism;

export const saslPatch: RheaPatch = {
  name: 'SASL mechanisms (sasl.Server)',
  check: (lib) => [
    ...shapeProblems(lib.sasl.Server.prototype, 'on_sasl_init', 'sasl.Server.prototype', ['this.mechanisms[frame.performative.mechanism]', 'saslctor()']),
    ...shapeProblems(lib.sasl.Server.prototype, 'do_step', 'sasl.Server.prototype', ['this.mechanism.outcome ? sasl_codes.OK : sasl_codes.AUTH']),
    ...shapeProblems(lib.frames, 'sasl_frame', 'frames'),
    ...shapeProblems(lib.frames, 'sasl_outcome', 'frames'),
  ],
  apply(lib) {
    const proto = lib.sasl.Server.prototype;
    wrapMethod<(this: SaslServerInternals, frame: { performative: { mechanism: string } }) => void>(proto, 'on_sasl_init', (onInit) =>
      function (this: SaslServerInternals, frame) {
        const name = String(frame.performative.mechanism);
        const factory = Object.hasOwn(this.mechanisms, name) ? this.mechanisms[name] : undefined;
        const mechanisms = this.mechanisms;
        const connection = this.connection;
        this.mechanisms = typeof factory === 'function' ? { [name]: () => (factory as Factory)(connection) } : {};
        try {
          onInit.call(this, frame);
        } finally {
          this.mechanisms = mechanisms;
        }
      },
    );
    const saslFrame = lib.frames.sasl_frame as (performative: unknown) => unknown;
    const saslOutcome = lib.frames.sasl_outcome as (fields: { code: number }) => unknown;
    wrapMethod<(this: SaslServerInternals, challenge: unknown) => void>(proto, 'do_step', (doStep) =>
      function (this: SaslServerInternals, challenge) {
        const code = this.mechanism?.outcome === false ? this.mechanism.code : undefined;
        if (code === undefined || code < 2 || code > 4) return doStep.call(this, challenge);
        this.outcome = code;
        this.transport.encode(saslFrame(saslOutcome({ code })));
        this.connection.output();
      },
    );
  },
};
