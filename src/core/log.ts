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

export function createLogger(opts: { level?: Level; write?: (line: string) => void; prefix?: string } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const prefix = opts.prefix ? `${opts.prefix} ` : '';
  const at = (level: Level) => (msg: string) => {
    if (ORDER[level] >= min) write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${prefix}${msg}`);
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (p: string) => createLogger({ ...opts, prefix: `${prefix}${p}` }),
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
