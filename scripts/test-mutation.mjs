#!/usr/bin/env node
/** npm run test:mutation [-- group...]: runs Stryker on the named module groups (see stryker.config.mjs), each with
 *  only the tests that exercise it, so one group takes minutes instead of the hour a full run takes. Extra Stryker
 *  flags after the group names pass through (e.g. --force to retest every mutant, --mutate file.ts:10-20). */
import { spawnSync } from 'node:child_process';
import { mutationGroups } from '../stryker.config.mjs';

const args = process.argv.slice(2);
const firstFlag = args.findIndex((arg) => arg.startsWith('-'));
const groups = firstFlag === -1 ? args : args.slice(0, firstFlag);
const passThrough = firstFlag === -1 ? [] : args.slice(firstFlag);
const unknown = groups.filter((name) => !(name in mutationGroups));
if (args.includes('--help') || unknown.length > 0) {
  if (unknown.length > 0) console.error(`unknown mutation group(s): ${unknown.join(', ')}`);
  console.log(`usage: npm run test:mutation -- [group...] [stryker flags]\ngroups: ${Object.keys(mutationGroups).join(', ')}`);
  process.exit(unknown.length > 0 ? 2 : 0);
}
const result = spawnSync('npx', ['stryker', 'run', ...passThrough], {
  stdio: 'inherit',
  env: { ...process.env, MUTATION_GROUPS: groups.join(',') },
});
process.exit(result.status ?? 1);
