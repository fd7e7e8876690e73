/** `automint doctor`'s checks: is everything a run needs in place, and if not, what to do about it. Each check ends in
 *  a verdict with the fix for a failure; nothing here creates an order or moves money. */
import 'reflect-metadata';
import { Agent } from 'undici';
import { createActor } from 'xstate';
import type { Logger } from 'pino';
import type { AutomintConfig } from '../config/schema.js';
import { targetAccounts } from '../config/schema.js';
import { profileSettings } from '../config/profiles.js';
import { openLedger } from '../ledger/database.js';
import type { Ledger } from '../ledger/ledger.js';
import { LedgerError } from '../ledger/ledger-error.js';
import { formatAmount } from '../money.js';
import type { PaymentMethod } from '../plugins/payment.js';
import { StoreClient } from '../store/store-client.js';
import { authMachine, configuredToken, jwtExpiry, tokenProvider, webAppToken } from '../actors/auth.js';
import type { AccountLogin } from '../actors/sniper.js';
import type { WebAppLogin } from '../plugins/web-app-login.js';
import { loadRunPlugins } from './run-plugins.js';
import { endpointResolver, endpointsLogic, responseReader } from '../actors/endpoints.js';
import { limiterGate, limiterLogic } from '../actors/limiter.js';
import { accountLogins, ledgerPath } from './run-bot.js';
import { StoreProxyFailed, StoreTransportError } from '../store/store-error.js';
import { detailsOf, isAutomintError } from '../errors.js';
import { AccountRoutes, type AccountRoute } from './account-routes.js';
import { deadline } from '../time/deadline.js';

/** One check's verdict. */
export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was found. */
  readonly detail: string;
  /** What to do when it failed. */
  readonly fix?: string;
}

/** A token that expires within this is reported: it will not last through a drop. */
const TOKEN_MIN_LIFE_MS = 10 * 60_000;

/** Runs every check against a loaded config; never throws for a failed check. `signal` (Ctrl-C, SIGTERM) aborts the
 *  account checks under way and ends with a `stopped` verdict; the plugins are closed either way. */
export async function runDoctor(config: AutomintConfig, log: Logger, signal?: AbortSignal): Promise<CheckResult[]> {
  const results: CheckResult[] = [{ name: 'config', ok: true, detail: `valid (profile ${config.profile}${config.dryRun ? ', dry run' : ''})` }];
  // The doctor only looks: it opens the ledger a run left and never creates one.
  const opened = await openLedger(ledgerPath(config), { mustExist: true }).catch((e: unknown) => e as Error);
  let ledger: Ledger;
  if (opened instanceof LedgerError && opened.code === 'NO_LEDGER') {
    // Before the first run there is no ledger, and that is fine: doctor is what a person runs before buying.
    results.push({ name: 'ledger', ok: true,
      detail: `none yet at ${ledgerPath(config)}: the first \`automint run\` creates it (a --dry-run keeps its own)` });
    // The checks below still run: the plugins get an empty ledger in memory, which is dropped afterwards.
    ledger = await openLedger(':memory:');
  } else if (opened instanceof Error) {
    results.push({ name: 'ledger', ok: false, detail: opened.message, fix: `make ${config.dataDir} readable and writable, or set dataDir` });
    return results;
  } else {
    ledger = opened;
    results.push(await ledgerCheck(ledger));
    results.push(...(await poolChecks(ledger, profileSettings(config.profile).breakerCooldownMs)));
  }
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 4 });
  // Each account reaches the store the way a run would: through its proxy when it has one.
  const routes = new AccountRoutes(config.accounts, dispatcher, { keepAliveTimeout: 10_000, connections: 4 });
  try {
    const loaded = await loadRunPlugins(config, ledger, log).catch((e: unknown) => e as Error);
    if (loaded instanceof Error) {
      results.push({ name: 'plugins', ok: false, detail: loaded.message, fix: 'fix the plugins section of the config (docs/configuration.md)' });
      return results;
    }
    const { payments, logins } = loaded;
    results.push({ name: 'plugins', ok: true, detail: payments.map((p) => p.id).join(', ') || 'no payment method enabled' });
    try {
      for (const account of config.accounts) {
        // A stop aborts the account's checks (their signal): they end at once, and are not left running.
        const checked = await accountChecks(config, account, ledger, routes.of(account.name), payments, logins, signal);
        if (signal?.aborted) {
          results.push({ name: 'stopped', ok: false, detail: `stopped (${String(signal.reason ?? 'signal')}) before every check ran` });
          return results;
        }
        results.push(...checked);
      }
      results.push(...clockChecks(payments));
    } finally {
      await loaded.close();
    }
    return results;
  } finally {
    await dispatcher.close().catch(() => undefined);
    await routes.close();
    await ledger.close();
  }
}

async function ledgerCheck(ledger: Ledger): Promise<CheckResult> {
  const open = await ledger.intents.open();
  return open.length === 0
    ? { name: 'ledger', ok: true, detail: 'no unsettled payment' }
    : { name: 'ledger', ok: false, detail: `${open.length} payment(s) not settled (${open.map((i) => i.orderId).join(', ')})`,
        fix: 'run `automint run` on this config: it reconciles them against the chain before buying' };
}

/** The limiter's persisted view of each pool: a ban or an open breaker survives restarts and would hold a run back. */
async function poolChecks(ledger: Ledger, breakerCooldownMs: number): Promise<CheckResult[]> {
  const now = Date.now();
  return (await ledger.limiter.load()).map((p) => {
    if (p.blockedUntil > now) {
      return { name: `pool ${p.pool}`, ok: false, detail: `held back by the store until ${new Date(p.blockedUntil).toISOString()}`,
        fix: 'wait until then, or use a slower profile (--profile safe) so the store stops answering 429' };
    }
    if (p.breakerState === 'open' && (p.breakerOpenedAt ?? now) + breakerCooldownMs > now) {
      return { name: `pool ${p.pool}`, ok: false, detail: `circuit breaker open since ${new Date(p.breakerOpenedAt ?? now).toISOString()}`,
        fix: 'the store kept failing for this pool; check its reachability below, then retry after the profile\'s breaker cooldown' };
    }
    const learned = p.learnedLimit !== null && p.learnedWindowMs !== null ? `, learned ${p.learnedLimit} per ${p.learnedWindowMs} ms` : '';
    return { name: `pool ${p.pool}`, ok: true, detail: `open${learned}` };
  });
}

async function accountChecks(
  config: AutomintConfig, account: AutomintConfig['accounts'][number], ledger: Ledger, route: AccountRoute, payments: readonly PaymentMethod[],
  logins: readonly WebAppLogin[], stop?: AbortSignal,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const name = `account ${account.name}`;
  let login: AccountLogin;
  try {
    login = (await accountLogins({ ...config, accounts: [account] }, logins)).get(account.name)!;
  } catch (e) {
    return [{ name: `${name} auth`, ok: false, detail: (e as Error).message,
      fix: `run \`automint login --account ${account.name}\` (with plugins.stars configured), or set accounts[].storeToken via \${STORE_TOKEN}` }];
  }
  if (login.kind === 'token') {
    const exp = jwtExpiry(login.jwt);
    if (exp !== null && exp - Date.now() < TOKEN_MIN_LIFE_MS) {
      results.push({ name: `${name} token`, ok: false, detail: exp <= Date.now() ? `expired at ${new Date(exp).toISOString()}` : `expires at ${new Date(exp).toISOString()}`,
        fix: 'paste a fresh token from the store web app (it lives about 60 minutes), or log in with Telegram (`automint login`)' });
    } else {
      results.push({ name: `${name} token`, ok: true, detail: exp === null ? 'no expiry in the token' : `valid until ${new Date(exp).toISOString()}` });
    }
  } else {
    results.push({ name: `${name} login`, ok: true, detail: `logs in to the store through ${login.via.id} (web app initData); checked by the store call below` });
  }
  const profile = profileSettings(config.profile);
  // No persisted state: the doctor only reads the pools (above); its own short waits must never overwrite a real ban.
  const limiter = createActor(limiterLogic, { input: { maxWaitMs: 5_000, safetyMarginPct: profile.safetyMarginPct, breakerThreshold: profile.breakerThreshold,
    breakerCooldownMs: profile.breakerCooldownMs, requestTimeoutMs: profile.requestTimeoutMs } }).start();
  const endpoints = createActor(endpointsLogic, { input: { primary: config.store.baseUrl, mirrors: config.store.mirrors } }).start();
  let store: StoreClient | undefined;
  const source = login.kind === 'token' ? configuredToken(login.jwt) : webAppToken(login.via, account.name, () => store!);
  const auth = createActor(authMachine, { input: { account: account.name, source } }).start();
  store = new StoreClient({
    account: account.name, token: tokenProvider(auth), gate: limiterGate(limiter), endpoints: endpointResolver(endpoints),
    responses: responseReader(endpoints), dispatcher: route.dispatcher, ...(route.proxy === undefined ? {} : { proxy: route.proxy }),
    userAgent: config.store.userAgent, timeoutMs: Math.min(profile.requestTimeoutMs, 10_000),
  });
  // The account's checks together end within 15 s, on a kept timer (core/time/deadline.ts).
  const checks = deadline(15_000, stop === undefined ? {} : { signal: stop });
  try {
    const signal = checks.signal;
    try {
      const settings = await store.settings(signal);
      if (route.proxy !== undefined) results.push({ name: `${name} proxy`, ok: true, detail: `${route.proxy.shown} carried the login and the store call` });
      results.push({ name: `${name} store`, ok: true, detail: `${config.store.baseUrl} answered; crypto payments ${settings.cryptoPaymentEnabled ? 'enabled' : 'DISABLED'}` });
      const wantsTon = buysWith(config, account.name, 'ton');
      if (wantsTon && !settings.cryptoPaymentEnabled) {
        results.push({ name: `${name} crypto`, ok: false, detail: 'the store has crypto payments switched off', fix: 'buy with another method, or wait until the store enables them' });
      }
    } catch (e) {
      const err = e as Error & { code?: string };
      // The proxy itself failing (or Telegram through it) is the proxy's line, with what to check.
      const proxyFailure = route.proxy === undefined ? undefined
        : causes(e).find((c): c is Error => c instanceof StoreProxyFailed || (isAutomintError(c) && c.code === 'TELEGRAM_UNAVAILABLE' && detailsOf(c)['proxy'] !== undefined));
      if (proxyFailure !== undefined) {
        results.push({ name: `${name} proxy`, ok: false, detail: proxyFailure.message,
          fix: `check accounts[].proxy of ${account.name}: host, port, user and password, and that the proxy is running` });
      }
      // A login that failed because the store was out of reach is a reachability problem, not a refused token.
      const unreachable = causes(e).some((c) => c instanceof StoreTransportError);
      const refused = !unreachable && (err.code?.startsWith('STORE_AUTH') || err.code?.startsWith('STORE_TOKEN'));
      results.push({ name: `${name} store`, ok: false, detail: `${err.code ?? err.name}: ${err.message}`,
        fix: refused
          ? login.kind === 'token' ? 'the store refused the token: paste a fresh one' : `the Telegram login failed: run \`automint session info --account ${account.name}\`, then \`automint login\` if needed`
          : `check that ${config.store.baseUrl} is reachable from here (proxy, DNS, firewall)` });
    }
    for (const method of payments) {
      const uses = buysWith(config, account.name, method.id);
      if (!uses) continue;
      const paymentAccount = { name: account.name, wallet: account.wallet, store };
      try {
        await method.prepare(paymentAccount, signal);
        const capacity = await method.capacity(paymentAccount, signal);
        const ok = capacity > 0n;
        results.push({ name: `${name} ${method.id} balance`, ok, detail: `${formatAmount(method.currency, capacity)} ${method.currency} spendable after reserves`,
          fix: ok ? undefined : `fund the ${method.id} wallet of ${account.name}` });
      } catch (e) {
        results.push({ name: `${name} ${method.id} wallet`, ok: false, detail: (e as Error).message, fix: `check accounts[].wallet and the ${method.id} plugin settings` });
      }
    }
  } finally {
    checks.clear();
    auth.stop();
    endpoints.stop();
    limiter.stop();
  }
  return results;
}

/** An offset past this between this machine's clock and a payment method's counterparty is reported. */
const CLOCK_MAX_OFFSET_MS = 5_000;

/** This machine's clock against each payment method's counterparty (the chain's), as measured while preparing. */
function clockChecks(payments: readonly PaymentMethod[]): CheckResult[] {
  const results: CheckResult[] = [];
  for (const method of payments) {
    const offset = method.clockOffsetMs?.() ?? null;
    if (offset === null) continue;
    const ok = Math.abs(offset) <= CLOCK_MAX_OFFSET_MS;
    const how = `${(Math.abs(offset) / 1000).toFixed(1)} s ${offset < 0 ? 'ahead of' : 'behind'}`;
    results.push({ name: `clock ${method.id}`, ok, detail: `this machine's clock is ${how} the ${method.id} network's`,
      fix: ok ? undefined : 'set the clock right (e.g. `timedatectl set-ntp true`); payments are dated by the network\'s clock, but the store\'s order expiry is judged by this one' });
  }
  return results;
}

/** `e` and its causes, outermost first. */
function causes(e: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let c: unknown = e; c !== undefined && c !== null && chain.length < 10; c = (c as { cause?: unknown }).cause) chain.push(c);
  return chain;
}

/** Whether `account` buys with `method` for some target or snipe filter (a filter buys like a target). */
function buysWith(config: AutomintConfig, account: string, method: string): boolean {
  return [...config.targets, ...config.snipe].some((t) => t.methods.includes(method) && targetAccounts(config, t).some((a) => a.name === account));
}

/** The verdicts as lines for a person. */
export function renderDoctor(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.ok ? 'PASS' : 'FAIL'}  ${r.name}: ${r.detail}`);
    if (!r.ok && r.fix) lines.push(`      fix: ${r.fix}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`);
  return lines.join('\n');
}
