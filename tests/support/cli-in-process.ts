/** Runs the `automint` program in this process, as the binary would, capturing its exit code, stdout and stderr. */
import { vi } from 'vitest';
import { buildProgram, runProgram } from '../../cli/program.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** What `work` wrote to stdout and stderr and the exit code it left, with `env` added to the environment meanwhile. */
export async function captureCli(work: () => Promise<void>, env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.exitCode = 0;
  try {
    await work();
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.env = saved;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

/** `automint …argv` through the program's commands (a usage error throws, as commander's exitOverride makes it). */
export async function cli(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  return captureCli(() => buildProgram().exitOverride().parseAsync(['node', 'automint', ...argv]).then(() => undefined), env);
}

/** `automint …argv` as the binary runs it (`runProgram`: usage errors exit 2, plugins' commands added). */
export async function runCli(argv: readonly string[]): Promise<CliResult> {
  return captureCli(() => runProgram(['node', 'automint', ...argv]));
}
