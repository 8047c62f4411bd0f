/**
 * What the patches see of rhea: its internal modules (lib/*.js) as loose shapes, and how a patch
 * states what it needs (check) before it changes anything (apply).
 */

/** A constructor whose prototype a patch changes. */
export interface Patchable {
  readonly prototype: Record<string, unknown>;
}

/** rhea's modules that the patches use. */
export interface RheaLib {
  readonly version: string;
  readonly Connection: Patchable;
  readonly Session: Patchable & (new (connection: object, channel: number) => Record<string, unknown>);
  readonly Transport: Patchable;
  readonly sasl: { readonly Server: Patchable };
  readonly frames: Record<string, unknown>;
  readonly message: Record<string, unknown>;
  readonly types: Record<string, unknown>;
  /** rhea's loggers (lib/log.js): one `debug` function per namespace. */
  readonly log: Record<string, unknown>;
}

export interface RheaPatch {
  readonly name: string;
  /** What no longer fits, one line each; empty when the patch applies. */
  check(lib: RheaLib): string[];
  apply(lib: RheaLib): void;
}

/**
 * Problems with a function a patch wraps or relies on: missing, or its source no longer containing
 * the statements the patch depends on (rhea's code changed under it).
 */
export function shapeProblems(owner: object, name: string, where: string, markers: readonly string[] = []): string[] {
  const fn = (owner as Record<string, unknown>)[name];
  if (typeof fn !== 'function') return [`${where}.${name} is not a function`];
  const source = Function.prototype.toString.call(fn);
  return markers.filter((m) => !source.includes(m)).map((m) => `${where}.${name} no longer contains \`${m}\``);
}

/** Replaces `owner[name]` with `wrap(original)`. */
export function wrapMethod<F extends (...args: never[]) => unknown>(owner: object, name: string, wrap: (original: F) => F): void {
  const target = owner as Record<string, unknown>;
  target[name] = wrap(target[name] as F);
}
