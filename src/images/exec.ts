import { sh, type HostResult } from '../dataplane/oci/host.js';

/** The outcome of one host tool run. */
export type ExecResult = HostResult;

/**
 * Runs a host tool without a shell and collects its output (`sh` of the data plane's OCI host
 * helpers). Rejects when it cannot be started or exits non-zero, with the tool's own message,
 * so callers can tell the user what to fix.
 */
export function exec(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): Promise<ExecResult> {
  return sh([cmd, ...args], { input: opts.input, mayFail: opts.allowFail });
}
