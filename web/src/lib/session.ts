/**
 * The signed-in token, kept for this tab only (sessionStorage), never in a URL the server sees.
 * The claims are decoded for display only; the API verifies the token on every request.
 */
const KEY = 'registry.token';

export interface Claims {
  sub: string;
  groups: string[];
  roles: string[];
  exp?: number;
}

type Listener = () => void;
const listeners = new Set<Listener>();
let signOutReason: string | undefined;

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
  signOutReason = undefined;
  listeners.forEach((l) => l());
}

export function clearToken(reason?: string): void {
  sessionStorage.removeItem(KEY);
  signOutReason = reason;
  listeners.forEach((l) => l());
}

/** Why the last sign-out happened (the API's message), if it was not the user's choice. */
export const getSignOutReason = (): string | undefined => signOutReason;

export function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

export function decodeClaims(token: string): Claims | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(
      part
        .replace(/-/g, '+')
        .replace(/_/g, '/')
        .padEnd(Math.ceil(part.length / 4) * 4, '='),
    );
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    if (typeof payload.sub !== 'string') return null;
    return { sub: payload.sub, groups: strings(payload.groups), roles: strings(payload.roles), ...(typeof payload.exp === 'number' ? { exp: payload.exp } : {}) };
  } catch {
    return null;
  }
}

/** `#token=<jwt>` (the URL the service prints at start): store it and take it out of the address bar. */
export function adoptTokenFromHash(): void {
  const m = /^#token=([^&]+)/.exec(window.location.hash);
  if (!m?.[1]) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(history.state, '', window.location.pathname + window.location.search);
}
