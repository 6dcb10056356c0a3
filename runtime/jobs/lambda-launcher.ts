/**
 * Jobs placed on Lambda: an attempt is an asynchronous (`Event`) invoke of the job's Lambda function carrying
 * `{ multinode: "job", job, id, attempt }`; the handler runs it (job-kind.ts). Throttling is retried with backoff
 * until the job's deadline. There is nothing to stop hard: an abandoned invocation's writes are refused.
 */
import { awsErrorName, explainMissing } from '../core/aws-errors.js';
import type { RuntimeContext } from '../core/context.js';
import { lambdaSdk } from '../core/sdk-modules.js';
import { backoffDelay, sleep } from '../core/retry.js';
import type { AttemptLauncher, JobEvent } from './launcher.js';

const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'EC2ThrottledException']);

export function lambdaJobLauncher(context: RuntimeContext, job: string): AttemptLauncher {
  const functionName = context.names.lambdaFunction(job);
  return {
    async launch(id, attempt, deadline, slot) {
      const event: JobEvent = { multinode: 'job', job, id, attempt, slot };
      const payload = new TextEncoder().encode(JSON.stringify(event));
      const [{ InvokeCommand }, client] = await Promise.all([lambdaSdk(), context.clients.lambda()]);
      for (let throttles = 1; ; throttles++) {
        try {
          await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: payload }));
          return {};
        } catch (error) {
          if (!THROTTLES.has(awsErrorName(error) ?? '') || context.clock() >= deadline)
            explainMissing(error, `The Lambda function "${functionName}" of job "${job}"`);
          await sleep(backoffDelay(throttles, context.tuning.throttleBackoff));
        }
      }
    },
    async stop() {},
  };
}
