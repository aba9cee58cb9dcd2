/** Minimal leveled logger writing lines to a stream. Secrets must never be passed in. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(prefix: string): Logger;
}

/**
 * Writes lines to stderr in batches: a synchronous write per request line cost ~3% of a
 * token validate. Lines queue for at most one event-loop turn, and are flushed at exit.
 */
function bufferedStderr(): (line: string) => void {
  let buf: string[] = [];
  const flush = () => {
    if (buf.length) process.stderr.write(buf.join('\n') + '\n');
    buf = [];
  };
  process.once('exit', flush);
  return (line) => {
    if (buf.push(line) === 1) setImmediate(flush);
    else if (buf.length >= 256) flush();
  };
}

export function createLogger(opts: { level?: Level; write?: (line: string) => void; prefix?: string } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? bufferedStderr();
  const prefix = opts.prefix ? `${opts.prefix} ` : '';
  const at = (level: Level) => (msg: string) => {
    if (ORDER[level] >= min) write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${prefix}${msg}`);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (p: string) => createLogger({ ...opts, write, prefix: `${prefix}${p}` }),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
