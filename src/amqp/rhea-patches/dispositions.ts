/**
 * Dispositions. rhea batches the dispositions of consecutive deliveries into one frame
 * (write_dispositions in lib/session.js) and, when a run starts with a single delivery, does not
 * compare the next delivery's outcome: a rejection right after one acceptance went out inside an
 * "accepted" range (the client then waits for an answer that never comes), and the other way
 * round. write_dispositions is private, so the fix sits where its frames leave (Session.output):
 * a disposition whose range holds deliveries with different outcomes or settlement is sent as one
 * frame per run of equal ones. Ranges that are uniform (the usual case) pass unchanged.
 */
import { shapeProblems, wrapMethod, type RheaLib, type RheaPatch } from './lib.js';

interface Delivery {
  id: number;
  state?: unknown;
  settled: boolean;
}

interface DispositionFrame {
  constructor: unknown;
  role: boolean;
  first: number;
  last?: number;
  state?: unknown;
  settled?: boolean;
}

interface DeliveryBuffer {
  by_id(id: number): Delivery | undefined;
}

interface OutputSession {
  incoming: { deliveries: DeliveryBuffer };
  outgoing: { deliveries: DeliveryBuffer };
}

type Output = (this: OutputSession, frame: DispositionFrame, payload?: Buffer) => void;
type Equivalent = (a: unknown, b: unknown) => boolean;

/** The runs of deliveries `first..last` that share outcome and settlement, or undefined when it is one run. */
function runs(deliveries: DeliveryBuffer, first: number, last: number, equivalent: Equivalent): Delivery[][] | undefined {
  const head = deliveries.by_id(first);
  if (head === undefined) return undefined;
  const result: Delivery[][] = [[head]];
  for (let id = first + 1; id <= last; id++) {
    const d = deliveries.by_id(id);
    if (d === undefined) return undefined;
    const run = result[result.length - 1] as Delivery[];
    const lead = run[0] as Delivery;
    if (d.settled === lead.settled && equivalent(lead.state, d.state)) run.push(d);
    else result.push([d]);
  }
  return result.length > 1 ? result : undefined;
}

function disposition(lib: RheaLib): (fields: Record<string, unknown>) => DispositionFrame {
  return lib.frames.disposition as (fields: Record<string, unknown>) => DispositionFrame;
}

export const dispositionsPatch: RheaPatch = {
  name: 'disposition runs (Session.output)',
  check: (lib) => [
    ...shapeProblems(lib.Session.prototype, 'output', 'Session.prototype', ['this.connection._write_frame(this.local.channel, frame, payload)']),
    ...shapeProblems(lib.frames, 'disposition', 'frames'),
    ...shapeProblems(lib.message, 'are_outcomes_equivalent', 'message'),
    ...shapeProblems(lib.Session.prototype, 'on_disposition', 'Session.prototype', ['this.outgoing.on_disposition', 'this.incoming.on_disposition']),
  ],
  apply(lib) {
    const create = disposition(lib);
    const Disposition = (create({}) as { constructor: unknown }).constructor;
    const equivalent = lib.message.are_outcomes_equivalent as Equivalent;
    wrapMethod<Output>(lib.Session.prototype, 'output', (output) =>
      function (this: OutputSession, frame: DispositionFrame, payload?: Buffer) {
        if (frame.constructor !== Disposition || frame.last === undefined || frame.last === null || frame.last <= frame.first) return output.call(this, frame, payload);
        // role true: the registry is the receiver, the deliveries are incoming ones.
        const split = runs(frame.role ? this.incoming.deliveries : this.outgoing.deliveries, frame.first, frame.last, equivalent);
        if (split === undefined) return output.call(this, frame, payload);
        for (const run of split) {
          const head = run[0] as Delivery;
          output.call(this, create({ role: frame.role, first: head.id, last: (run[run.length - 1] as Delivery).id, state: head.state, settled: head.settled }));
        }
      },
    );
  },
};
