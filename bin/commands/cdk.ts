import path from 'node:path';
import { SynthError } from '../../constructs/errors.js';
import { parseCommandArgs } from '../args.js';
import { chooseApp, entryAndArguments } from '../app-target.js';
import { UsageError } from '../io.js';
import { printJson } from '../output.js';
import type { Command } from './types.js';

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

export const cdkCommand: Command = {
  summary: 'a ready CDK app: synthesize the stack of an app (use it as the "app" of cdk.json)',
  usage: `Usage: multinode cdk [<entry>] [--stack-name <name>] [--prefix <prefix>] [--output <dir>] [--json]

Synthesizes a CloudFormation stack holding the whole app <entry> (a MultinodeApp), so that
"cdk deploy" works without CDK code of your own. Put it in cdk.json:

  { "app": "npx multinode cdk src/app.ts", "notices": false, "context": { "cli-telemetry": false } }

Without <entry>: the app whose multinode dev runs in this folder's package, else the package's only
app; cdk.json names it, as above, so that the stack never depends on what ran locally.

The stack is named after the app (its package.json name) and is environment-agnostic: it deploys
to the account and region of your AWS credentials.

Options:
  --stack-name <name>  name of the stack (default: the app's name)
  --prefix <prefix>    prefix of the physical resource names (default: made from the stack name)
  --output <dir>       where to write the cloud assembly when not run by the cdk CLI (default: cdk.out)
  --json               print { "stack", "directory" } (the cloud assembly's folder)
  --help               show this help`,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('cdk', argv, {
      'stack-name': { type: 'string' },
      prefix: { type: 'string' },
      output: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.stdout(`${this.usage}\n`);
      return 0;
    }
    const split = entryAndArguments('cdk', positionals, io.cwd, []);
    const stackName = values['stack-name'];
    if (stackName !== undefined && !STACK_NAME.test(stackName)) {
      throw new UsageError(
        `--stack-name "${stackName}" is not a CloudFormation stack name: a letter, then letters, digits and "-", at most 128 characters.`,
        'cdk',
      );
    }
    const { entry } = await chooseApp('cdk', { ...(split.entry !== undefined ? { entry: split.entry } : {}), cwd: io.cwd });
    const { App, Stack, buildApp, bundleRootIn, MultinodeApp } = await loadCdk();
    // Run by the cdk CLI, App reads the output folder and context from CDK_OUTDIR and CDK_CONTEXT_JSON.
    const byCli = process.env.CDK_OUTDIR !== undefined;
    const outdir = byCli ? undefined : path.resolve(io.cwd, values.output ?? 'cdk.out');
    const app = new App(outdir ? { outdir } : {});
    // The stack is named after the app, so build it first (MultinodeApp then finds this build in the same folder).
    const build = buildApp(entry, { bundleRoot: bundleRootIn(app.outdir) });
    if (build.logs) io.stderr(build.logs);
    const stack = new Stack(app, stackName ?? build.manifest.app.name, {
      description: `multinode app ${build.manifest.app.name}`,
    });
    new MultinodeApp(stack, 'App', { entry, ...(values.prefix !== undefined ? { prefix: values.prefix } : {}) });
    const assembly = app.synth();
    if (values.json) printJson(io, { stack: stack.stackName, directory: assembly.directory });
    else if (!byCli) {
      const relative = path.relative(io.cwd, assembly.directory);
      const shown = relative === '' ? '.' : relative.startsWith('..') ? assembly.directory : relative;
      io.stderr(`Synthesized stack ${stack.stackName} into ${shown}\n`);
    }
    return 0;
  },
};

/** aws-cdk-lib is a peer dependency: loaded only by this command, with a clear message when it is missing. */
async function loadCdk() {
  try {
    const [{ App, Stack }, { buildApp, bundleRootIn }, { MultinodeApp }] = await Promise.all([
      import('aws-cdk-lib'),
      import('../../constructs/build.js'),
      import('../../constructs/multinode-app.js'),
    ]);
    return { App, Stack, buildApp, bundleRootIn, MultinodeApp };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && /aws-cdk-lib|constructs/.test((error as Error).message)) {
      throw new SynthError('"multinode cdk" needs the AWS CDK in your project: npm install --save-dev aws-cdk-lib constructs aws-cdk');
    }
    throw error;
  }
}
