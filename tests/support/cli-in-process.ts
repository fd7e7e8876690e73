/** Runs the `automint` program in this process, as the binary would, capturing its exit code, stdout and stderr. */
import { vi } from 'vitest';
import { buildProgram } from '../../cli/program.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `automint …argv` with `env` added to the environment for the call. */
export async function cli(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.exitCode = 0;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'automint', ...argv]);
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.env = saved;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}
