/** A manifest's `commands` is checked when the plugin loads, so a malformed declaration is told by name, not found
 *  later as a command that cannot run. */
import { describe, expect, it } from 'vitest';
import { commandsProblem } from '../../../../core/plugins/command.js';
import { definePlugin, manifestProblem } from '../../../../core/plugins/manifest.js';
import { z } from 'zod';

const load = async () => ({ defineCommand() {} });

describe('commands of a manifest', () => {
  it('accepts named, described commands with a loader', () => {
    expect(commandsProblem([{ name: 'voucher-balance', description: 'x', load }, { name: 'v2', description: 'y', usage: '[options]', load }])).toBeUndefined();
  });

  it.each([
    ['not a list', { name: 'a' }, /list/],
    ['a bad name', [{ name: 'Login', description: 'x', load }], /lower-case/],
    ['a name twice', [{ name: 'a', description: 'x', load }, { name: 'a', description: 'y', load }], /twice/],
    ['no description', [{ name: 'a', load }], /description/],
    ['no loader', [{ name: 'a', description: 'x' }], /load must be a function/],
  ])('refuses %s', (_what, commands, message) => {
    expect(commandsProblem(commands)).toMatch(message);
  });

  it('is part of the manifest check', () => {
    const manifest = definePlugin({ kind: 'notifier', id: 'n', description: 'd', hostVersion: '^1', configSchema: z.object({}), register() {}, commands: [{ name: 'BAD', description: 'x', load }] });
    expect(manifestProblem(manifest)).toMatch(/lower-case/);
  });
});
