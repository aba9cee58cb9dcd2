import { realpathSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The command-line shell shared by the per-node listener processes (the DNS stub,
 * `dns/stub.ts`, and the API proxy, `apiproxy/proxy.ts`): each listens on an address inside a
 * node's network namespace and forwards to a unix socket of the control plane.
 *
 * A process is run as `node <module>.js --listen <ip>:<port> --socket <path> [flags]`; it
 * prints one line `listening on <ip>:<port>` when ready, exits 2 on a bad command line (with
 * its usage), 1 if it cannot start, and 0 on SIGTERM/SIGINT once closed.
 */

/** What a listener process has once started. */
export interface NodeListener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The command line that runs the listener module at `moduleUrl` (the wiring prefixes `nsenter --net=…`). */
export function nodeListenerCommand(moduleUrl: string, opts: { listen: string; socketPath: string }): { command: string; args: string[] } {
  return { command: process.execPath, args: [fileURLToPath(moduleUrl), '--listen', opts.listen, '--socket', opts.socketPath] };
}

/** `<ipv4>:<port>` or `[<ipv6>]:<port>` (port 0 allowed); the error names `example` as a valid value. */
export function parseListen(listen: string, example: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]+):(\d+)$/.exec(listen);
  const host = m?.[1];
  const port = Number(m?.[2]);
  if (!host || !(isIPv4(host) || isIPv6(host)) || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen ${JSON.stringify(listen)}: want <ipv4>:<port> or [<ipv6>]:<port>, e.g. ${example}`);
  }
  return { host, port };
}

/**
 * `--name value` / `--name=value` flags, each one of `names`; `--listen` and `--socket` are
 * required (so both must be among `names`). Throws on anything else.
 */
export function parseListenerFlags<N extends string>(argv: string[], names: readonly N[]): Partial<Record<N, string>> & { listen: string; socket: string } {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m || !(names as readonly string[]).includes(m[1]!)) throw new Error(`unknown argument ${JSON.stringify(a)}`);
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new Error(`--${m[1]} needs a value`);
    out[m[1]!] = v;
  }
  if (!out.listen || !out.socket) throw new Error('--listen and --socket are required');
  return out as Partial<Record<N, string>> & { listen: string; socket: string };
}

/** Whether the module at `moduleUrl` is the one node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  try {
    return Boolean(process.argv[1]) && pathToFileURL(realpathSync(process.argv[1]!)).href === moduleUrl;
  } catch {
    return false;
  }
}

/**
 * The process's main: parses `process.argv` with `parseArgs` (exit 2 with `usage` on error),
 * starts with a logger that writes `<tag>: …` to stderr (exit 1 on failure), prints the
 * `listening on` line, and closes then exits 0 on SIGTERM/SIGINT.
 */
export async function runNodeListener<A>(o: {
  tag: string;
  usage: string;
  parseArgs: (argv: string[]) => A;
  start: (args: A, log: (msg: string) => void) => Promise<NodeListener>;
}): Promise<void> {
  let args: A;
  try {
    args = o.parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: ${o.usage}\n`);
    process.exit(2);
  }
  const log = (msg: string) => process.stderr.write(`${o.tag}: ${msg}\n`);
  let listener: NodeListener;
  try {
    listener = await o.start(args, log);
  } catch (err) {
    log((err as Error).message);
    process.exit(1);
  }
  const addr = listener.address.includes(':') ? `[${listener.address}]` : listener.address;
  process.stdout.write(`listening on ${addr}:${listener.port}\n`);
  const stop = () => void listener.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
