import { createContext, useContext } from 'react';
import type { Api } from '../api/client';
import type { Session } from '../api/session';

/** What every page gets: the API client for the session, and the toast area. */
export interface AppCtx {
  api: Api;
  session: Session;
  /** A short success or progress message at the top right. */
  notify(message: string): void;
  /** An error with what to do next (ApiError hints), shown until dismissed. */
  fail(e: unknown): void;
  switchProject(projectId: string): Promise<void>;
}

export const AppContext = createContext<AppCtx | null>(null);

export function useApp(): AppCtx {
  const c = useContext(AppContext);
  if (!c) throw new Error('useApp outside the app');
  return c;
}

/**
 * Runs an action, reporting success or failure; resolves true when it worked. `onOk` (usually a
 * list's `reload`) runs only when it worked, so a failed form keeps what is shown.
 */
export async function act(app: AppCtx, what: string, fn: () => Promise<unknown>, onOk?: () => void): Promise<boolean> {
  try {
    await fn();
    app.notify(what);
    onOk?.();
    return true;
  } catch (e) {
    app.fail(e);
    return false;
  }
}

/**
 * Asks `question` (a delete or release); when confirmed, runs the action like `act` and then
 * `reload`s whether it worked or not, since a failed delete may still have changed the list.
 */
export function confirmAct(app: AppCtx, question: string, what: string, fn: () => Promise<unknown>, reload: () => void): void {
  if (confirm(question)) void act(app, what, fn).then(() => reload());
}
