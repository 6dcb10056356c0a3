/** SubmitJob names: Batch takes letters, digits, "-" and "_", starting with a letter or digit, up to 128. */
import { describe, expect, it } from 'vitest';
import { batchJobName } from '../../runtime/batch/batch-jobs.js';
import { checkSubmit } from '../../runtime/local/batch/validate.js';

const valid = (name: string) => expect(() => checkSubmit({ jobName: name, jobQueue: 'q', jobDefinition: 'd' }, 100)).not.toThrow();

describe('batchJobName', () => {
  it('makes a name Batch accepts from any definition name, task and run', () => {
    for (const definition of ['nightly', '_nightly', '-report', 'a'.repeat(64)]) {
      for (const run of ['2030-01-02T03:00:00.000Z', '01kzzzzzzzzzzzzzzzzzzzzzzz']) {
        const name = batchJobName(definition, 'schedule', run);
        expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
        valid(name);
      }
    }
    expect(batchJobName('nightly', 'schedule', '2030-01-02T03:00:00.000Z')).toBe('nightly-schedule-2030-01-02T03-00-00-000Z');
    expect(batchJobName('_nightly', 'run', 'x')).toBe('mn_nightly-run-x');
  });
});
