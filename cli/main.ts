#!/usr/bin/env node
/** Entry point of the `automint` binary. */
import { runProgram } from './program.js';

await runProgram(process.argv);
