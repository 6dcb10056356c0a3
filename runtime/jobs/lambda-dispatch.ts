/**
 * Jobs placed on Lambda: an attempt is an asynchronous (`Event`) invoke of the job's Lambda function carrying
 * `{ multinode: "job", job, id, attempt }`; the handler runs it (job-kind.ts). Throttling is retried with backoff
 * until the job's deadline. There is nothing to stop hard: an abandoned invocation's writes are refused.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { awsErrorName, explainMissing } from '../aws-errors.js';
import type { RuntimeContext } from '../context.js';
import { backoffDelay, sleep } from '../retry.js';
import type { AttemptDispatcher, JobEvent } from './dispatch.js';

const THROTTLES = new Set(['TooManyRequestsException', 'ThrottlingException', 'EC2ThrottledException']);

export function lambdaJobDispatcher(context: RuntimeContext, job: string): AttemptDispatcher {
  const functionName = context.names.lambdaFunction(job);
  return {
    async dispatch(id, attempt, deadline, slot) {
      const event: JobEvent = { multinode: 'job', job, id, attempt, slot };
      const payload = new TextEncoder().encode(JSON.stringify(event));
      for (let throttles = 1; ; throttles++) {
        try {
          await context.clients.lambda.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: payload }));
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
