/**
 * The fake runtime's tiny shell: what its containers "run" and what `kubectl exec` reaches.
 * No process is ever started; everything below is simulated in-process.
 *
 * Programs it knows (by basename, so `/bin/echo` works too):
 * - `sh -c SCRIPT` / `bash -c` / `ash -c`: SCRIPT is split on `;`, `&&`, `||` and newlines,
 *   with single and double quotes, backslash escapes and `$VAR`/`${VAR}`/`$?` expansion;
 * - `echo [-n] ARGS…`, `printf TEXT` (only `\n`/`\t` escapes), `true`, `false`, `exit [N]`,
 *   `pwd` (`/`), `whoami` (`root`), `hostname` (the pod name or `spec.hostname`), `env` and
 *   `printenv [NAME]` (the container's env), `sleep N|infinity` (really waits), and `cat`: with
 *   no argument it copies stdin to stdout (no stdin: ends at once); `cat FILE` fails, as the fake
 *   has no files (so an exec readiness probe `cat /tmp/healthy` never passes).
 * - Anything else depends on the mode: in `exec` it prints
 *   `fake runtime: cannot run X` on stderr and exits 127; in a container's main command it
 *   is taken for a server (`nginx`, `httpd -f`) that runs until the container is stopped.
 */
export interface ShellIo {
  out(text: string): void;
  err(text: string): void;
  /** Null when the caller attached no stdin (`cat` then ends at once). */
  stdin: AsyncIterable<Buffer | string> | null;
  hostname: string;
  env: Record<string, string>;
  /** `exec` fails unknown programs (127); `container` treats them as servers that never end. */
  mode: 'exec' | 'container';
  signal: AbortSignal;
}

/** Thrown inside the interpreter to end the whole script with a status (`exit N`). */
class ExitSignal {
  constructor(readonly code: number) {}
}

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash']);
const KNOWN = new Set(['echo', 'printf', 'true', 'false', 'exit', 'pwd', 'whoami', 'hostname', 'env', 'printenv', 'sleep', 'cat', ...SHELLS]);

/** Runs an argv (a container's command + args, or an exec command); resolves its exit status. */
export async function runArgv(argv: string[], io: ShellIo): Promise<number> {
  try {
    return await runCommand(argv, io, 0);
  } catch (e) {
    if (e instanceof ExitSignal) return e.code;
    throw e;
  }
}

/** Whether the shell knows the program of this argv (else a container treats it as a server). */
export function knowsProgram(argv: string[]): boolean {
  return argv.length > 0 && KNOWN.has(basename(argv[0]!));
}

async function runCommand(argv: string[], io: ShellIo, last: number): Promise<number> {
  if (argv.length === 0) return last;
  const prog = basename(argv[0]!);
  const args = argv.slice(1);
  if (SHELLS.has(prog)) {
    const c = args.indexOf('-c');
    if (c === -1 || args[c + 1] === undefined) {
      // An interactive shell: reads commands from stdin, one per line.
      if (!io.stdin) return 0;
      let status = 0;
      for await (const line of lines(io.stdin)) status = await runScript(line, io, status);
      return status;
    }
    return runScript(args[c + 1]!, io, last);
  }
  switch (prog) {
    case 'echo': {
      const noNewline = args[0] === '-n';
      io.out((noNewline ? args.slice(1) : args).join(' ') + (noNewline ? '' : '\n'));
      return 0;
    }
    case 'printf':
      io.out((args[0] ?? '').replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
      return 0;
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'exit': {
      const n = args[0] === undefined ? last : Number.parseInt(args[0], 10);
      throw new ExitSignal(Number.isFinite(n) ? n & 255 : 2);
    }
    case 'pwd':
      io.out('/\n');
      return 0;
    case 'whoami':
      io.out('root\n');
      return 0;
    case 'hostname':
      io.out(`${io.hostname}\n`);
      return 0;
    case 'env':
      for (const [k, v] of Object.entries(io.env)) io.out(`${k}=${v}\n`);
      return 0;
    case 'printenv':
      if (args[0] === undefined) return runCommand(['env'], io, last);
      if (io.env[args[0]] === undefined) return 1;
      io.out(`${io.env[args[0]]}\n`);
      return 0;
    case 'sleep':
      return sleep(args[0] ?? '', io);
    case 'cat':
      if (args.length > 0) {
        io.err(`cat: ${args[0]}: No such file or directory\n`);
        return 1;
      }
      if (io.stdin) for await (const chunk of io.stdin) io.out(chunk.toString());
      return 0;
    default:
      if (io.mode === 'container') {
        io.out(`fake runtime: pretending to run ${argv.join(' ')} until stopped\n`);
        await forever(io.signal);
        return 143;
      }
      io.err(`fake runtime: cannot run ${argv[0]}\n`);
      return 127;
  }
}

async function sleep(arg: string, io: ShellIo): Promise<number> {
  if (arg === 'infinity' || arg === 'inf') {
    await forever(io.signal);
    return 143;
  }
  const secs = Number.parseFloat(arg);
  if (!Number.isFinite(secs) || secs < 0) {
    io.err(`sleep: invalid time interval '${arg}'\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, secs * 1000);
    io.signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
  return io.signal.aborted ? 143 : 0;
}

function forever(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Runs a script: commands joined by `;`, newlines, `&&` and `||`. */
export async function runScript(script: string, io: ShellIo, last = 0): Promise<number> {
  let status = last;
  let skip: 'and' | 'or' | undefined;
  for (const { words, op } of parseScript(script, () => status, io.env)) {
    if (io.signal.aborted) return 143;
    const run = skip === undefined || (skip === 'and' && status === 0) || (skip === 'or' && status !== 0);
    if (run && words.length) status = await runCommand(words, io, status);
    skip = op === '&&' ? 'and' : op === '||' ? 'or' : undefined;
  }
  return status;
}

interface Step {
  words: string[];
  /** The operator after this command. */
  op: ';' | '&&' | '||' | '';
}

/**
 * Splits a script into commands. Expansion happens lazily per command so `$?` sees the status
 * of the command before it.
 */
function* parseScript(script: string, status: () => number, env: Record<string, string>): Generator<Step> {
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  const expand = (): string => {
    // At script[i] === '$'
    const rest = script.slice(i + 1);
    const m = /^(\?|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (!m) {
      i++;
      return '$';
    }
    i += 1 + m[0].length;
    if (m[0] === '?') return String(status());
    const name = m[0].startsWith('{') ? m[0].slice(1, -1) : m[0];
    return env[name] ?? '';
  };
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  while (i < script.length) {
    const ch = script[i]!;
    if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      const stop = end === -1 ? script.length : end;
      word += script.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
    } else if (ch === '"') {
      inWord = true;
      i++;
      while (i < script.length && script[i] !== '"') {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1]!)) {
          word += script[i + 1];
          i += 2;
        } else if (script[i] === '$') word += expand();
        else word += script[i++];
      }
      i++;
    } else if (ch === '\\' && i + 1 < script.length) {
      word += script[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === '$') {
      word += expand();
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      endWord();
      i++;
    } else if (ch === ';' || ch === '\n') {
      endWord();
      yield { words, op: ';' };
      words = [];
      i++;
    } else if ((ch === '&' || ch === '|') && script[i + 1] === ch) {
      endWord();
      yield { words, op: ch === '&' ? '&&' : '||' };
      words = [];
      i += 2;
    } else if (ch === '#' && !inWord) {
      const nl = script.indexOf('\n', i);
      i = nl === -1 ? script.length : nl;
    } else {
      word += ch;
      inWord = true;
      i++;
    }
  }
  endWord();
  yield { words, op: '' };
}

async function* lines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of input) {
    rest += chunk.toString();
    let nl = rest.indexOf('\n');
    while (nl !== -1) {
      yield rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  }
  if (rest) yield rest;
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i === -1 ? p : p.slice(i + 1);
}
