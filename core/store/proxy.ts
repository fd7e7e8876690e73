/** An account's proxy, as `accounts[].proxy` gives it: `socks5://user:pass@host:port`, `http://host:port` or
 *  `https://user:pass@host:port`. Read once, so the store (undici), Telegram (GramJS) and the limiter's `ip:` pool
 *  see the same proxy, and shown only with its password replaced. */

/** The kinds of proxy the account's calls can go out through. */
export type ProxyKind = 'socks5' | 'http' | 'https';

export interface AccountProxy {
  /** The URL as configured (credentials included): handed to the dispatcher, never shown. */
  readonly url: string;
  readonly kind: ProxyKind;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  /** The URL with its password replaced: safe in logs, errors, traces and `config show`. */
  readonly shown: string;
}

/** The default port of each kind, when the URL names none. */
const DEFAULT_PORTS: Record<ProxyKind, number> = { socks5: 1080, http: 80, https: 443 };

/** What stands for a password wherever a proxy is shown. */
export const HIDDEN_PASSWORD = '***';

/** Why a proxy URL cannot be used, in words for the config error. */
export class ProxyUrlInvalid extends Error {
  constructor(readonly why: string) {
    super(why);
    this.name = 'ProxyUrlInvalid';
  }
}

/** Reads a proxy URL; throws ProxyUrlInvalid (never echoing a password) when it is not one automint can use. */
export function parseProxy(url: string): AccountProxy {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new ProxyUrlInvalid('not a URL: write it as socks5://user:pass@host:port or http://host:port');
  }
  const scheme = parsed.protocol.slice(0, -1).toLowerCase();
  const kind: ProxyKind | null = scheme === 'socks5' || scheme === 'socks5h' || scheme === 'socks' ? 'socks5' : scheme === 'http' || scheme === 'https' ? scheme : null;
  if (kind === null) throw new ProxyUrlInvalid(`scheme "${scheme}" is not a proxy automint can use (socks5://, http:// or https://)`);
  if (parsed.hostname === '') throw new ProxyUrlInvalid('names no host');
  if (parsed.pathname !== '/' && parsed.pathname !== '' || parsed.search !== '' || parsed.hash !== '') {
    throw new ProxyUrlInvalid('a proxy URL is scheme://[user:pass@]host:port, with nothing after the port');
  }
  if (parsed.password !== '' && parsed.username === '') throw new ProxyUrlInvalid('has a password but no user name');
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  const port = parsed.port === '' ? DEFAULT_PORTS[kind] : Number(parsed.port);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const userPart = username === undefined ? '' : `${parsed.username}${password === undefined ? '' : `:${HIDDEN_PASSWORD}`}@`;
  const shown = `${kind === 'socks5' ? scheme : kind}://${userPart}${parsed.host}`;
  return {
    url: url.trim(), kind, host, port, shown,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
}

/** The URL with its password replaced, for anything a person reads; a value that is not a proxy URL is hidden whole. */
export function showProxy(url: string): string {
  try {
    return parseProxy(url).shown;
  } catch {
    return '[redacted]';
  }
}

/** The proxy of the account named `name` in a config's accounts, read; undefined when it has none. */
export function accountProxy(accounts: readonly { readonly name: string; readonly proxy?: string | undefined }[], name: string): AccountProxy | undefined {
  const url = accounts.find((a) => a.name === name)?.proxy;
  return url === undefined ? undefined : parseProxy(url);
}
