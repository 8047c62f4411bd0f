/**
 * The parts of a Compose file the static container checks read, and their normal forms.
 */
import { portNumber, words } from './dockerfile.js';

export type Command = string | string[];
export type Environment = Record<string, string | number | boolean | null> | string[];
export type PortSpec = string | number | { target: number | string; published?: number | string; protocol?: string };
export type VolumeSpec = string | { type?: string; source?: string; target: string };

export interface Healthcheck {
  test: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface Service {
  image?: string;
  build?: unknown;
  command?: Command;
  environment?: Environment;
  depends_on?: string[] | Record<string, { condition?: string }>;
  ports?: PortSpec[];
  volumes?: VolumeSpec[];
  healthcheck?: Healthcheck;
  restart?: string;
  secrets?: (string | { source: string; target?: string })[];
}

export interface Compose {
  version?: unknown;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}

export function commandWords(command: Command | undefined): string[] {
  if (command === undefined) return [];
  return Array.isArray(command) ? command.map(String) : words(command);
}

export function environmentOf(service: Service): Map<string, string> {
  const env = new Map<string, string>();
  const raw = service.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      env.set(eq < 0 ? entry : entry.slice(0, eq), eq < 0 ? '' : entry.slice(eq + 1));
    }
  } else if (raw) {
    for (const [name, value] of Object.entries(raw)) env.set(name, value === null ? '' : String(value));
  }
  return env;
}

/** Container-side port of a short (`[ip:][host:]container[/proto]`) or long port mapping. */
export function containerPort(spec: PortSpec): number {
  if (typeof spec === 'object') return Number(spec.target);
  const text = String(spec);
  return portNumber(text.slice(text.lastIndexOf(':') + 1));
}

/** Compose's variable substitution with every variable unset: `${NAME:-default}` → `default`, others → ''. */
export function withDefaults(text: string): string {
  return text.replace(/\$\{\w+(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_, fallback: string | undefined) => fallback ?? '');
}

export function volumeMount(spec: VolumeSpec): { source: string | undefined; target: string; named: boolean } {
  if (typeof spec === 'object') {
    const named = (spec.type ?? 'volume') === 'volume' && spec.source !== undefined;
    return { source: spec.source, target: spec.target, named };
  }
  const [first = '', second] = withDefaults(spec).split(':');
  if (second === undefined) return { source: undefined, target: first, named: false };
  return { source: first, target: second, named: !/^[./~]/.test(first) };
}

export function healthcheckCommand(test: string | string[]): string[] {
  if (typeof test === 'string') return ['/bin/sh', '-c', test];
  const [kind, ...rest] = test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL') return ['/bin/sh', '-c', rest.join(' ')];
  throw new Error(`unexpected healthcheck test kind ${String(kind)}`);
}

/**
 * A service as `docker compose -f base -f override` sees it: the override's environment entries
 * win, its ports, volumes and secrets are added.
 */
export function mergeService(base: Service, override: Service | undefined): Service {
  if (override === undefined) return base;
  const environment = Object.fromEntries([...environmentOf(base), ...environmentOf(override)]);
  return {
    ...base,
    ...override,
    environment,
    ports: [...(base.ports ?? []), ...(override.ports ?? [])],
    volumes: [...(base.volumes ?? []), ...(override.volumes ?? [])],
    secrets: [...(base.secrets ?? []), ...(override.secrets ?? [])],
  };
}
