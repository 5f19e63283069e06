#!/usr/bin/env node
import { USAGE, exitCodeOf, isUsageError, runCommand } from './commands.js';

runCommand(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: Error) => {
    const usage = isUsageError(err);
    const code = exitCodeOf(err);
    if (code !== undefined) {
      process.stderr.write(`${err.message}\n`);
      process.exit(code);
    }
    process.stderr.write(`error: ${err.message}\n${usage ? `\n${USAGE}\n` : ''}`);
    if (!usage && process.env.PETAL_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exit(usage ? 2 : 1);
  },
);
