/**
 * The local Batch endpoint: Batch's REST API (restJson1, `POST /v1/<operation>`) on 127.0.0.1, so the runtime's
 * real `BatchClient` talks to it with nothing but a different `endpoint`. Operations: SubmitJob, DescribeJobs,
 * ListJobs, TerminateJob, CancelJob, RegisterJobDefinition, DescribeJobDefinitions. Errors are Batch's:
 * `ClientException` (400) for a wrong request, `ServerException` (500) for a bug here.
 * Jobs run as child processes with Batch's environment (engine.ts, container.ts); containers whose job definition
 * has a role get credentials from a local container credentials endpoint (credentials.ts).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type {
  CancelJobRequest,
  DescribeJobDefinitionsRequest,
  DescribeJobsRequest,
  ListJobsRequest,
  RegisterJobDefinitionRequest,
  SubmitJobRequest,
  TerminateJobRequest,
} from '@aws-sdk/client-batch';
import { readBody, startLocalServer } from '../http-server.js';
import { type ContainerCredentialsEndpoint, type ContainerCredentialsOptions, startContainerCredentials } from './credentials.js';
import { LocalBatchEngine, type LocalBatchEngineOptions } from './engine.js';
import { BatchClientError, type RegisteredJobDefinition } from './types.js';

export interface LocalBatchOptions extends Omit<LocalBatchEngineOptions, 'credentials' | 'containerEnvironment'> {
  /** Port to listen on; default an ephemeral one. */
  port?: number;
  /** Environment every container gets before its own; a function receives this endpoint's URL. */
  containerEnvironment?: Readonly<Record<string, string>> | ((endpoint: string) => Readonly<Record<string, string>>);
  /** Options of the container credentials endpoint started with the server. */
  containerCredentials?: ContainerCredentialsOptions;
}

export interface LocalBatch {
  /** The endpoint for `new BatchClient({ endpoint })` (and `AWS_ENDPOINT_URL_BATCH`). */
  readonly endpoint: string;
  readonly engine: LocalBatchEngine;
  readonly credentials: ContainerCredentialsEndpoint;
  close(): Promise<void>;
}

/**
 * Bodies kept at most: Batch's requests are small (a SubmitJob at most 30 KiB); a larger body is read to its end
 * and refused without being held.
 */
const BODY_LIMIT = 1024 * 1024;

type Handler = (engine: LocalBatchEngine, body: unknown, bytes: number) => unknown;

const OPERATIONS: Record<string, Handler> = {
  '/v1/submitjob': (engine, body, bytes) => {
    const job = engine.submit(body as SubmitJobRequest, bytes);
    return { jobArn: job.jobArn, jobName: job.jobName, jobId: job.jobId };
  },
  '/v1/describejobs': (engine, body) => ({ jobs: engine.describe((body as DescribeJobsRequest).jobs) }),
  '/v1/listjobs': (engine, body) => engine.list(body as ListJobsRequest),
  '/v1/terminatejob': (engine, body) => {
    const request = body as TerminateJobRequest;
    engine.terminate(request.jobId, request.reason);
    return {};
  },
  '/v1/canceljob': (engine, body) => {
    const request = body as CancelJobRequest;
    engine.cancel(request.jobId, request.reason);
    return {};
  },
  '/v1/registerjobdefinition': (engine, body) => {
    const definition = engine.register(body as RegisterJobDefinitionRequest);
    return { jobDefinitionName: definition.name, jobDefinitionArn: definition.arn, revision: definition.revision };
  },
  '/v1/describejobdefinitions': (engine, body) => {
    const request = body as DescribeJobDefinitionsRequest;
    const references = request.jobDefinitions ?? (request.jobDefinitionName ? [request.jobDefinitionName] : undefined);
    return { jobDefinitions: engine.describeDefinitions(references).map(renderDefinition) };
  },
};

function renderDefinition(definition: RegisteredJobDefinition) {
  return {
    jobDefinitionName: definition.name,
    jobDefinitionArn: definition.arn,
    revision: definition.revision,
    status: 'ACTIVE',
    type: 'container',
    parameters: { ...definition.parameters },
    retryStrategy: { attempts: definition.retryAttempts },
    ...(definition.attemptDurationSeconds !== undefined ? { timeout: { attemptDurationSeconds: definition.attemptDurationSeconds } } : {}),
    containerProperties: {
      image: definition.image,
      command: [...definition.command],
      environment: [...definition.environment],
      resourceRequirements: [...definition.resourceRequirements],
      ...(definition.jobRoleArn ? { jobRoleArn: definition.jobRoleArn } : {}),
      ...(definition.logConfiguration ? { logConfiguration: definition.logConfiguration } : {}),
      ...(definition.secrets.length > 0 ? { secrets: definition.secrets.map((secret) => ({ ...secret })) } : {}),
    },
    platformCapabilities: [...definition.platformCapabilities],
  };
}

function send(response: http.ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(text);
}

export async function startLocalBatch(options: LocalBatchOptions): Promise<LocalBatch> {
  const credentials = await startContainerCredentials(options.containerCredentials);
  let engine!: LocalBatchEngine;
  const server = await startLocalServer(
    (request, response) => {
      void readBody(request, { limit: BODY_LIMIT, over: 'drain' }).then(
        (body) => answer(engine, request, response, body.bytes, body.size),
        () => request.destroy(),
      );
    },
    { port: options.port ?? 0, name: 'the local Batch endpoint' },
  );
  const { containerEnvironment } = options;
  engine = new LocalBatchEngine({
    ...options,
    credentials,
    containerEnvironment: typeof containerEnvironment === 'function' ? containerEnvironment(server.url) : (containerEnvironment ?? {}),
  });
  return {
    endpoint: server.url,
    engine,
    credentials,
    async close() {
      await engine.close();
      await server.close();
      await credentials.close();
    },
  };
}

/** Runs the operation the request names and answers with its result or Batch's error. */
function answer(engine: LocalBatchEngine, request: http.IncomingMessage, response: http.ServerResponse, raw: Buffer, size: number): void {
  const path = (request.url ?? '').split('?')[0]!.toLowerCase();
  const operation = request.method === 'POST' ? OPERATIONS[path] : undefined;
  if (!operation) {
    send(
      response,
      400,
      {
        __type: 'ClientException',
        message: `${request.method} ${request.url} is not an operation of the local Batch endpoint (supported: ${Object.keys(OPERATIONS).join(', ')}).`,
      },
      'ClientException',
    );
    return;
  }
  try {
    if (size > BODY_LIMIT) throw new BatchClientError(`The request body is ${size} bytes; the local Batch endpoint takes at most ${BODY_LIMIT}.`);
    let body: unknown = {};
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new BatchClientError('The request body is not valid JSON.');
      }
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BatchClientError('The request body must be a JSON object.');
    send(response, 200, operation(engine, body, raw.length));
  } catch (error) {
    if (error instanceof BatchClientError) send(response, 400, { __type: 'ClientException', message: error.message }, 'ClientException');
    else send(response, 500, { __type: 'ServerException', message: `local Batch endpoint failed: ${(error as Error).message}` }, 'ServerException');
  }
}
