import { describe, expect, it } from 'vitest';
import { parseProxy, ProxyUrlInvalid, showProxy } from '../../../../core/store/proxy.js';
import { chargesFor } from '../../../../core/store/rate-pools.js';

describe('an account proxy URL', () => {
  it('reads a SOCKS5 proxy with credentials and shows it without the password', () => {
    const p = parseProxy('socks5://alice:s3cr%40t@proxy.example:1085');
    expect(p).toMatchObject({ kind: 'socks5', host: 'proxy.example', port: 1085, username: 'alice', password: 's3cr@t' });
    expect(p.shown).toBe('socks5://alice:***@proxy.example:1085');
    expect(p.shown).not.toContain('s3cr');
  });

  it('reads HTTP and HTTPS proxies, with the default port of each kind', () => {
    expect(parseProxy('http://10.0.0.1')).toMatchObject({ kind: 'http', port: 80, shown: 'http://10.0.0.1' });
    expect(parseProxy('https://u:p@gw.example')).toMatchObject({ kind: 'https', port: 443, shown: 'https://u:***@gw.example' });
    expect(parseProxy('socks5h://[::1]:9050')).toMatchObject({ kind: 'socks5', host: '::1', port: 9050 });
  });

  it('refuses what is not a proxy URL, never echoing the password', () => {
    for (const bad of ['proxy.example:1080', 'ftp://u:pw123456@h:21', 'socks5://u:pw123456@h:1080/path', 'http://:pw123456@h:8080']) {
      let error: unknown;
      try {
        parseProxy(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(ProxyUrlInvalid);
      expect((error as Error).message).not.toContain('pw123456');
    }
  });

  it('hides a value that is not a proxy URL whole when shown', () => {
    expect(showProxy('user:pw123456@host')).toBe('[redacted]');
  });
});

describe("an account proxy's IP pool", () => {
  it('is keyed by the proxy as shown (host and port): two accounts behind one proxy share it, other proxies do not', () => {
    const pools = (url: string, account: string): string[] => chargesFor('collection', { account, proxy: parseProxy(url).shown }).map((c) => c.pool);
    expect(pools('socks5://alice:pw123456@10.0.0.1:1080', 'alice')).toEqual(['account:alice', 'ip:10.0.0.1:1080']);
    expect(pools('socks5://bob:other-pw@10.0.0.1:1080', 'bob')).toContain('ip:10.0.0.1:1080');
    expect(pools('http://10.0.0.2:3128', 'carol')).toContain('ip:10.0.0.2:3128');
  });
});
