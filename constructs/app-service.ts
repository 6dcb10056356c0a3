/**
 * A service: an API Gateway HTTP API whose `$default` route (every method and path) goes to one Lambda function
 * (payload format 2.0), with access logging, throttling, and the service's `auth` (none, IAM or JWT).
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ServiceAuth } from '../lib/definitions/service.js';
import { SERVICE_TIMEOUT } from '../lib/definitions/service.js';
import { SynthError } from './errors.js';
import { acknowledge } from './nag.js';

export interface ServiceThrottle {
  /** Steady requests per second, above 0. Required. */
  readonly rateLimit: number;
  /** Requests in a burst, a whole number above 0. Required. */
  readonly burstLimit: number;
}

export const SERVICE_THROTTLE_DEFAULT: ServiceThrottle = { rateLimit: 500, burstLimit: 1000 };

/** One JSON line per request, from context variables HTTP APIs support (the REST-API standard set has others). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    method: '$context.httpMethod',
    path: '$context.path',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    integrationError: '$context.integrationErrorMessage',
  }),
);

export interface AppServiceProps {
  /** The service's definition name; errors and the API's description name it. Required. */
  readonly definition: string;
  /** The function that answers every request (payload format 2.0). Required. */
  readonly handler: lambda.IFunction;
  /**
   * Who may call the service: anyone (`"none"`, the handler decides), SigV4-signed callers (`"iam"`), or bearers of
   * a JWT from an issuer (`{ jwt: { issuer, audience } }`).
   *
   * @default "none"
   */
  readonly auth?: ServiceAuth;
  /**
   * Longest the API waits for the function, whole seconds from 1 to 29 (HTTP APIs stop waiting at 30 seconds).
   *
   * @default Duration.seconds(29)
   */
  readonly timeout?: Duration;
  /**
   * Name of the HTTP API.
   *
   * @default - the construct's id
   */
  readonly apiName?: string;
  /**
   * Requests per second and burst of the `$default` stage.
   *
   * @default SERVICE_THROTTLE_DEFAULT (500 requests per second, bursts of 1000)
   */
  readonly throttle?: ServiceThrottle;
  /**
   * CORS preflight answered by API Gateway.
   *
   * @default - none: preflight requests reach the handler
   */
  readonly corsPreflight?: apigw.CorsPreflightOptions;
  /**
   * Retention of the access log.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

export class AppService extends Construct {
  readonly api: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** The `$default` route: every method and path. */
  readonly route: apigw.HttpRoute;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppServiceProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(SERVICE_TIMEOUT.default);
    const timeoutSeconds = timeout.toSeconds({ integral: false });
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < SERVICE_TIMEOUT.min || timeoutSeconds > SERVICE_TIMEOUT.max) {
      throw new SynthError(
        `a service timeout is whole seconds from ${SERVICE_TIMEOUT.min} to ${SERVICE_TIMEOUT.max} (HTTP APIs stop waiting at 30 s), got ` +
          `${timeout.toHumanString()}.`,
        this,
        props.definition,
      );
    }
    const throttle = props.throttle ?? SERVICE_THROTTLE_DEFAULT;
    if (!(throttle.rateLimit > 0) || !(throttle.burstLimit > 0) || !Number.isInteger(throttle.burstLimit)) {
      throw new SynthError(`throttle needs a rateLimit above 0 and a whole burstLimit above 0, got ${JSON.stringify(throttle)}.`, this, props.definition);
    }
    const auth = props.auth ?? 'none';
    this.api = new apigw.HttpApi(this, 'Api', {
      ...(props.apiName ? { apiName: props.apiName } : {}),
      description: `multinode service ${props.definition}`,
      createDefaultStage: false,
      defaultIntegration: new HttpLambdaIntegration('Handler', props.handler, {
        payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
        timeout,
      }),
      ...authorizer(auth),
      ...(props.corsPreflight ? { corsPreflight: props.corsPreflight } : {}),
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: { destination: logGroupDestination(this.accessLogs), format: ACCESS_LOG_FORMAT },
    });
    this.route = this.api.node.findChild('DefaultRoute') as apigw.HttpRoute;
    if (auth === 'none') {
      acknowledge(this.route, 'AwsSolutions-APIG4', `The app declares service "${props.definition}" with auth "none": its handler decides who may call it.`);
    }
  }

  /** The service's URL (the `$default` stage). */
  get url(): string {
    return this.stage.url;
  }

  /**
   * Lets `grantee` call the service when its auth is `"iam"` (SigV4-signed requests): every method and path. (The
   * `$default` route's own grant covers the path "/" alone.)
   */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: [this.api.arnForExecuteApi('*', '/*', '*')] });
  }
}

/**
 * The log group by its ARN without the ":*" that its `Arn` attribute ends in (aws-cdk-lib's LogGroupLogDestination
 * passes that attribute): API Gateway stores the ARN without it, so drift detection would report the stage as
 * modified after every deploy.
 */
function logGroupDestination(logGroup: logs.ILogGroup): apigw.IAccessLogDestination {
  const destinationArn = Stack.of(logGroup).formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: logGroup.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  return { bind: () => ({ destinationArn }) };
}

function authorizer(auth: ServiceAuth): { defaultAuthorizer?: apigw.IHttpRouteAuthorizer } {
  if (auth === 'none') return {};
  if (auth === 'iam') return { defaultAuthorizer: new HttpIamAuthorizer() };
  return { defaultAuthorizer: new HttpJwtAuthorizer('Jwt', auth.jwt.issuer, { jwtAudience: [...auth.jwt.audience] }) };
}
