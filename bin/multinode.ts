#!/usr/bin/env node
/** The `multinode` executable: runs the CLI against the real process. Ctrl-C aborts long-running commands. */
import { main } from './cli.js';
import { processIO } from './io.js';

const controller = new AbortController();
let interrupted = false;
const onSignal = () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), processIO(controller.signal));
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
process.exitCode = code;
