/**
 * A small Dockerfile reader for the static container checks (there is no Docker engine here):
 * instructions with continuations, stages, COPY operands, ENV, .dockerignore matching, and where a
 * COPY puts a file of the build context.
 */
import { posix } from 'node:path';

export interface Instruction {
  /** Upper-cased keyword, e.g. COPY. */
  readonly keyword: string;
  /** Everything after the keyword, continuations joined. */
  readonly args: string;
  /** 1-based line the instruction starts on. */
  readonly line: number;
}

export interface Stage {
  readonly from: Instruction;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/**
 * Splits a Dockerfile into instructions: drops comments and blank lines, honours the default
 * escape character `\` for line continuations (comment lines inside a continuation are skipped,
 * as BuildKit does).
 */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (buffer === '' && trimmed === '')) continue;
    if (buffer === '') start = i + 1;
    const continued = /\\\s*$/.test(raw);
    buffer += (buffer === '' ? '' : ' ') + (continued ? raw.replace(/\\\s*$/, '') : raw).trim();
    if (continued) continue;
    const match = /^(\S+)\s*(.*)$/s.exec(buffer);
    if (match) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim(), line: start });
    buffer = '';
  }
  if (buffer !== '') throw new Error(`Dockerfile ends inside a line continuation (instruction at line ${start})`);
  return instructions;
}

export function stagesOf(instructions: readonly Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const name = /\sAS\s+(\S+)\s*$/i.exec(instruction.args)?.[1];
      stages.push({ from: instruction, name, instructions: [] });
    } else {
      const current = stages.at(-1);
      if (current) current.instructions.push(instruction);
      else if (instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    }
  }
  return stages;
}

/** Splits shell-like words, honouring single and double quotes (no escapes needed here). */
export function words(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** Exec form (JSON array) or shell form of CMD / ENTRYPOINT / HEALTHCHECK CMD. */
export function commandOf(args: string): string[] {
  if (args.startsWith('[')) {
    const parsed: unknown = JSON.parse(args);
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`bad exec form: ${args}`);
    return parsed;
  }
  return ['/bin/sh', '-c', args];
}

/** Leading `--name=value` / `--name` flags and the remaining arguments of an instruction. */
export function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (let m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest); m !== null; m = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags.set(m[1] ?? '', m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** Sources and destination of a COPY / ADD, in JSON or whitespace form. */
export function copyOperands(args: string): { flags: Map<string, string>; sources: string[]; dest: string } {
  const { flags, rest } = splitFlags(args);
  const operands: string[] = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : words(rest);
  if (operands.length < 2) throw new Error(`COPY needs a source and a destination: ${args}`);
  return { flags, sources: operands.slice(0, -1), dest: operands.at(-1) ?? '' };
}

/** `ENV a=b c="d e"` and the legacy `ENV a b`. */
export function envOf(args: string): Map<string, string> {
  const env = new Map<string, string>();
  const tokens = words(args);
  if (tokens.length > 0 && !(tokens[0] ?? '').includes('=')) {
    const [name, ...value] = args.split(/\s+/);
    env.set(name ?? '', value.join(' '));
    return env;
  }
  // words() drops the quotes of a whole token; a `name="v w"` token keeps them in the value.
  const re = /([\w.-]+)=("[^"]*"|'[^']*'|\S*)/g;
  for (let m = re.exec(args); m !== null; m = re.exec(args)) {
    env.set(m[1] ?? '', (m[2] ?? '').replace(/^(["'])(.*)\1$/s, '$2'));
  }
  return env;
}

export function portNumber(spec: string): number {
  return Number(spec.replace(/\/(tcp|udp|sctp)$/i, ''));
}

/** A minimal .dockerignore matcher: `*` within one path segment, a match excludes everything under it. */
export function isDockerIgnored(path: string, patterns: readonly string[]): boolean {
  const normalized = path.replace(/^\.\//, '').replace(/\/$/, '');
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).replace(/^\//, '').replace(/\/$/, '');
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]*');
    if (new RegExp(`^${source}(/.*)?$`).test(normalized)) ignored = !negated;
  }
  return ignored;
}

/** Where a COPY from the build context puts the context file `path`, or undefined when it does not copy it. */
export function copiedTo(path: string, copy: { sources: readonly string[]; dest: string }, workdir: string): string | undefined {
  const dest = posix.resolve(workdir, copy.dest);
  const intoDirectory = copy.dest.endsWith('/') || copy.sources.length > 1;
  for (const raw of copy.sources) {
    const source = posix.normalize(raw).replace(/\/$/, '');
    if (source === '.') return posix.join(dest, path);
    if (path === source) return intoDirectory ? posix.join(dest, posix.basename(source)) : dest;
    // A directory source copies its contents, not the directory itself.
    if (path.startsWith(`${source}/`)) return posix.join(dest, path.slice(source.length + 1));
  }
  return undefined;
}

/** `RUN npm ci`, `RUN npm install` …: a RUN that installs the package, which runs its lifecycle scripts. */
const NPM_INSTALL = /\bnpm\s+(?:ci|install|i)\b/;

/**
 * The context paths that a stage does not have in place when it runs `npm ci` / `npm install`:
 * each of `needed` must have been copied, before that RUN, to the same place relative to WORKDIR.
 */
export function missingBeforeInstall(stages: readonly Stage[], needed: readonly string[]): string[] {
  const missing: string[] = [];
  for (const stage of stages) {
    let workdir = '/';
    const copies: { sources: string[]; dest: string; workdir: string }[] = [];
    for (const instruction of stage.instructions) {
      if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args);
      if (instruction.keyword === 'COPY' || instruction.keyword === 'ADD') {
        const operands = copyOperands(instruction.args);
        if (!operands.flags.has('from')) copies.push({ ...operands, workdir });
      }
      if (instruction.keyword !== 'RUN' || !NPM_INSTALL.test(instruction.args)) continue;
      for (const path of needed) {
        const there = posix.join(workdir, path);
        if (!copies.some((c) => copiedTo(path, c, c.workdir) === there)) missing.push(`line ${instruction.line} (${instruction.args}): ${path} is not at ${there}`);
      }
    }
  }
  return missing;
}
