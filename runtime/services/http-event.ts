/** HTTP requests to a service: an API Gateway HTTP API (payload 2.0) event in, the fetch handler's Response out. */
import type { ServiceDefinition } from '../../lib/definitions/service.js';
import { SYNC_PAYLOAD_LIMIT } from '../core/payloads.js';
import { withLog } from '../core/invocation-log.js';
import { fromResponse, isHttpApiEvent, toRequest, type HttpApiEvent, type HttpApiResult } from './http-api.js';
import { MisroutedEventError } from '../core/event-handler.js';
import type { EventHandler, HandlerContext } from '../core/event-handler.js';

export const httpEvent: EventHandler<HttpApiEvent> = {
  name: 'http',
  accepts: isHttpApiEvent,
  async handle(event, context) {
    const service = servedService(context);
    // The request, the handler and the reading of its body all run with the service's logger as the current one.
    return withLog(context.log.child({ definition: service.name, kind: 'service' }), () => serve(service, event));
  },
};

/** Calls the service's fetch handler and turns its Response into the integration response. */
async function serve(service: ServiceDefinition, event: HttpApiEvent): Promise<HttpApiResult> {
  const response = await service.handler(toRequest(event));
  if (!(response instanceof Response)) {
    throw new TypeError(`service "${service.name}": the fetch handler returned ${response === null ? 'null' : typeof response}, not a Response.`);
  }
  const result = await fromResponse(response);
  // Lambda refuses a larger response with a bare error and the client sees a 500: say which service and how large.
  const size = Buffer.byteLength(JSON.stringify(result), 'utf8');
  if (size > SYNC_PAYLOAD_LIMIT) {
    throw new RangeError(
      `service "${service.name}": the response to ${event.requestContext.http.method} ${event.rawPath} is ${size} bytes as Lambda's answer ` +
        `(${result.isBase64Encoded ? 'a binary body grows by a third in base64' : 'body and headers'}), over Lambda's limit of ` +
        `${SYNC_PAYLOAD_LIMIT} bytes; ` +
        'serve large content from S3 (a presigned URL) instead.',
    );
  }
  return result;
}

/** The service this Lambda function serves; with an unknown function name, the app's only service. */
function servedService(context: HandlerContext): ServiceDefinition {
  const served = context.served ?? onlyService(context);
  if (served?.kind !== 'service') {
    throw new MisroutedEventError(
      `${context.lambda.functionName} received an HTTP request but serves ${served ? `the ${served.kind} "${served.name}"` : 'no service'}.`,
    );
  }
  return served;
}

function onlyService(context: HandlerContext) {
  const services = context.app.definitions.filter((d) => d.kind === 'service');
  return services.length === 1 ? services[0] : undefined;
}
