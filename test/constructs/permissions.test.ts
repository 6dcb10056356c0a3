/**
 * The app's access policy allows exactly the AWS calls the runtime makes: read from the runtime's sources (every
 * `...Command` it imports from an AWS SDK client, outside the local cloud, the build tooling and the log reader, which
 * runs with an operator's credentials rather than the app's role), so a call added to the runtime without its
 * permission, or a permission no call needs, fails here. Batch actions are the jobs runtime's declared set.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_IAM_ACTIONS } from '../../runtime/batch/bootstrap.js';
import { tempApp } from '../helpers/temp-app.js';
import { asArray, REPO, resourcesOf, synthApp } from './helpers.js';

/** IAM action of an SDK command where it is not `<service>:<CommandName>`. */
const ACTION_OF: Record<string, string> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  's3:HeadObject': 's3:GetObject',
  's3:ListObjectsV2': 's3:ListBucket',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return ['local', 'build', 'logs'].includes(name) ? [] : sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** `service:Action` for every SDK command the runtime imports. */
function runtimeActions(): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceFiles(path.join(REPO, 'runtime'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
      for (const name of match[1]!.split(',').map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0]!,
      )) {
        if (!/^[A-Z]\w*Command$/.test(name)) continue;
        const action = `${match[2]}:${name.replace(/Command$/, '')}`;
        actions.add(ACTION_OF[action] ?? action);
      }
    }
  }
  return actions;
}

describe('the access policy of an app using every kind of compute', () => {
  const made = tempApp(
    {
      'app.ts': `import * as mn from 'multinode';
export const notes = mn.dict<string>('notes');
export const light = mn.fn(async (x: number) => x);
export const heavy = mn.fn({ cpu: 8 }, async (x: number) => x);
export const work = mn.job(async function* () { yield 1; });
`,
    },
    'all-compute',
  );
  afterAll(made.cleanup);
  const { template } = synthApp(made.entry, { prefix: 'all' });
  const [, policy] = resourcesOf(template, 'AWS::IAM::ManagedPolicy')[0]!;
  const allowed = new Set<string>(policy.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => asArray(s.Action)));
  const used = runtimeActions();

  it("finds the runtime's calls (the scan works)", () => {
    expect(used).toContain('dynamodb:PutItem');
    expect(used).toContain('lambda:InvokeFunction');
    expect(used).toContain('batch:SubmitJob');
  });

  it('allows every call the runtime makes', () => {
    expect([...used].filter((action) => !allowed.has(action))).toEqual([]);
  });

  it('allows nothing else, besides the Batch actions the jobs runtime declares', () => {
    const declared = new Set<string>([...BATCH_IAM_ACTIONS.submit, ...BATCH_IAM_ACTIONS.manage]);
    expect([...allowed].filter((action) => !used.has(action) && !declared.has(action))).toEqual([]);
  });
});
