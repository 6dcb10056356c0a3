/**
 * The examples as CDK stacks: the resources each needs with their key properties, cdk-nag AwsSolutions with zero
 * unacknowledged findings (with the examples' feature flags, and with none, as in an older project), and the
 * invariants every stack keeps (newest Node runtime, no AWS managed policies, no `*` actions, log retention).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { asArray, EXAMPLES, exampleContext, exampleEntry, nagFindings, oneResource, policyStatements, resourcesOf, synthApp } from './helpers.js';

const byName = (name: string) => (props: Record<string, any>) => props.Name === name || props.FunctionName === name || props.TableName === name;

describe('daily-16cpu', () => {
  const { template, mn } = synthApp(exampleEntry('daily-16cpu'), { prefix: 'daily' });

  it('compiles the weekday cron to MON-FRI at 23:00 in Europe/London, and the daily interval to a daily cron', () => {
    const [, weekdays] = oneResource(template, 'AWS::Scheduler::Schedule', byName('daily-weekdaysAt23-0'));
    expect(weekdays.ScheduleExpression).toMatch(/^cron\(0 23 \? \* (MON-FRI|2-6) \*\)$/);
    expect(weekdays.ScheduleExpressionTimezone).toBe('Europe/London');
    const [, daily] = oneResource(template, 'AWS::Scheduler::Schedule', byName('daily-dailyAt23-0'));
    expect(daily.ScheduleExpression).toBe('cron(0 23 * * ? *)');
    expect(daily.ScheduleExpressionTimezone).toBe('Europe/London');
    // One schedule per compiled expression, exactly as the manifest says.
    for (const definition of mn.manifest.definitions.filter((d) => d.kind === 'schedule')) {
      definition.schedule!.expressions.forEach((compiled, i) => {
        const [, schedule] = oneResource(template, 'AWS::Scheduler::Schedule', byName(mn.names.schedule(definition.name, i)));
        expect(schedule.ScheduleExpression).toBe(compiled.expression);
        expect(schedule.ScheduleExpressionTimezone).toBe(compiled.timezone);
      });
    }
  });

  it('creates each schedule after its schedule group (named by a plain string, which alone makes no dependency)', () => {
    const [groupId] = oneResource(template, 'AWS::Scheduler::ScheduleGroup', () => true);
    const schedules = Object.values<any>(template.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.length).toBeGreaterThan(0);
    for (const schedule of schedules) expect(schedule.DependsOn).toContain(groupId);
  });

  it('delivers heavy scheduled tasks to the dispatcher with the flexible window off, an explicit retry policy and a dead-letter queue', () => {
    const dispatcher = template.getResourceId('AWS::Lambda::Function', { Properties: { FunctionName: 'daily-multinode-dispatcher' } });
    for (const name of ['weekdaysAt23', 'dailyAt23']) {
      const [, schedule] = oneResource(template, 'AWS::Scheduler::Schedule', byName(`daily-${name}-0`));
      expect(schedule.GroupName).toBe('daily');
      expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
      expect(schedule.Target.RetryPolicy.MaximumRetryAttempts).toBeLessThan(185);
      expect(schedule.Target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThan(86400);
      expect(schedule.Target.DeadLetterConfig.Arn['Fn::GetAtt'][0]).toMatch(/DeadLetters/);
      expect(schedule.Target.Arn).toEqual({ 'Fn::GetAtt': [dispatcher, 'Arn'] });
      const input = JSON.parse(schedule.Target.Input);
      expect(input).toMatchObject({ multinode: 'schedule', name });
      expect(schedule.Target.Input).toContain('<aws.scheduler.scheduled-time>');
      expect(schedule.Target.Input).toContain('<aws.scheduler.attempt-number>');
    }
  });

  it('gives the 16-vCPU task a Fargate job definition with a memory Fargate accepts for 16 vCPUs', () => {
    const [, job] = oneResource(template, 'AWS::Batch::JobDefinition', (p) => p.JobDefinitionName === 'daily-dailyAt23');
    const requirements = Object.fromEntries(job.ContainerProperties.ResourceRequirements.map((r: any) => [r.Type, Number(r.Value)]));
    expect(requirements.VCPU).toBe(16);
    // Fargate's 16-vCPU sizes: 32 to 120 GiB in 8 GiB steps.
    expect(requirements.MEMORY).toBeGreaterThanOrEqual(32 * 1024);
    expect(requirements.MEMORY).toBeLessThanOrEqual(120 * 1024);
    expect(requirements.MEMORY % (8 * 1024)).toBe(0);
    expect(job.PlatformCapabilities).toEqual(['FARGATE']);
    expect(job.ContainerProperties.Image).toBe('public.ecr.aws/docker/library/node:22-slim');
    expect(job.ContainerProperties.Command.slice(0, 2)).toEqual(['node', '-e']);
    expect(job.ContainerProperties.Command[2]).toContain('MULTINODE_BUNDLE_KEY');
    const env = Object.fromEntries(job.ContainerProperties.Environment.map((e: any) => [e.Name, e.Value]));
    expect(env).toMatchObject({ MULTINODE_DEFINITION: 'dailyAt23', MULTINODE_PREFIX: 'daily', MULTINODE_APP: 'daily-16cpu' });
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['MULTINODE_BUCKET', 'MULTINODE_BUNDLE_BUCKET', 'MULTINODE_BUNDLE_KEY', 'AWS_REGION']));
    expect(job.ContainerProperties.NetworkConfiguration).toEqual({ AssignPublicIp: 'ENABLED' });
    expect(job.ContainerProperties.JobRoleArn).toBeDefined();
    expect(job.Timeout.AttemptDurationSeconds).toBeGreaterThanOrEqual(60);
  });

  it('makes one Fargate queue that cancels jobs stuck in RUNNABLE, and no EC2 environment', () => {
    const [, queue] = oneResource(template, 'AWS::Batch::JobQueue', () => true);
    expect(queue.JobQueueName).toBe('daily-queue');
    expect(queue.JobStateTimeLimitActions.length).toBeGreaterThan(0);
    for (const action of queue.JobStateTimeLimitActions) {
      expect(action).toMatchObject({ State: 'RUNNABLE', Action: 'CANCEL' });
      expect(action.MaxTimeSeconds).toBeGreaterThanOrEqual(600);
    }
    const environments = resourcesOf(template, 'AWS::Batch::ComputeEnvironment');
    expect(environments.map(([, p]) => p.ComputeResources.Type)).toEqual(['FARGATE']);
  });

  it('makes a VPC with public subnets only and no NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const [, subnet] of resourcesOf(template, 'AWS::EC2::Subnet')) expect(subnet.MapPublicIpOnLaunch).toBe(true);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
  });

  it('sends Batch job state changes of its queues to the dispatcher', () => {
    const [, rule] = oneResource(template, 'AWS::Events::Rule', () => true);
    expect(rule.EventPattern.source).toEqual(['aws.batch']);
    expect(rule.EventPattern['detail-type']).toEqual(['Batch Job State Change']);
    expect(rule.EventPattern.detail.jobQueue).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/Queue/), 'JobQueueArn'] }]);
    const dispatcher = template.getResourceId('AWS::Lambda::Function', { Properties: { FunctionName: 'daily-multinode-dispatcher' } });
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [dispatcher, 'Arn'] });
  });

  it('has a table for its dict, and no Lambda for its heavy tasks', () => {
    const [, table] = oneResource(template, 'AWS::DynamoDB::Table', byName('daily-dict-daily_runs'));
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.TimeToLiveSpecification.Enabled).toBe(true);
    const functions = resourcesOf(template, 'AWS::Lambda::Function').map(([, p]) => p.FunctionName);
    expect(functions).toEqual(['daily-multinode-dispatcher']);
  });

  it('lets app code submit its jobs but invoke no Lambda function (it has none to call)', () => {
    const actions = policyStatements(template).flatMap((s) => asArray(s.Action));
    expect(actions).toContain('batch:SubmitJob');
    const [, access] = oneResource(template, 'AWS::IAM::ManagedPolicy', () => true);
    const accessActions = access.PolicyDocument.Statement.flatMap((s: any) => asArray(s.Action));
    expect(accessActions).not.toContain('lambda:InvokeFunction');
  });

  it('allows SubmitJob on each job definition by its bare name (how the runtime names it) and on its revisions', () => {
    const [, access] = oneResource(template, 'AWS::IAM::ManagedPolicy', () => true);
    const submit = access.PolicyDocument.Statement.find((s: any) => s.Sid === 'AppBatchSubmit');
    const resources = JSON.stringify(submit.Resource);
    expect(resources).toMatch(/:job-definition\/[\w-]+-dailyAt23"/);
    expect(resources).toMatch(/:job-definition\/[\w-]+-dailyAt23:\*"/);
  });
});

describe('tweet-summaries', () => {
  const { template } = synthApp(exampleEntry('tweet-summaries'), { prefix: 'tweets' });

  it('runs the daily task on its own Lambda, targeted by its schedule', () => {
    const task = template.getResourceId('AWS::Lambda::Function', { Properties: { FunctionName: 'tweets-extractSummaries' } });
    const [, schedule] = oneResource(template, 'AWS::Scheduler::Schedule', byName('tweets-extractSummaries-0'));
    expect(schedule.ScheduleExpression).toBe('cron(0 0 * * ? *)');
    expect(schedule.Target.Arn).toEqual({ 'Fn::GetAtt': [task, 'Arn'] });
  });

  it('serves the service through an HTTP API: one $default route to its Lambda, access logs, throttling, and the URL as an output', () => {
    const [, route] = oneResource(template, 'AWS::ApiGatewayV2::Route', () => true);
    expect(route.RouteKey).toBe('$default');
    expect(route.AuthorizationType ?? 'NONE').toBe('NONE');
    const [, integration] = oneResource(template, 'AWS::ApiGatewayV2::Integration', () => true);
    expect(integration).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', TimeoutInMillis: 29000 });
    const api = template.getResourceId('AWS::Lambda::Function', { Properties: { FunctionName: 'tweets-api' } });
    expect(JSON.stringify(integration.IntegrationUri)).toContain(api);
    const [, stage] = oneResource(template, 'AWS::ApiGatewayV2::Stage', () => true);
    expect(stage.StageName).toBe('$default');
    expect(stage.AutoDeploy).toBe(true);
    expect(JSON.parse(stage.AccessLogSettings.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
    expect(stage.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(stage.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    const outputs = Object.values(template.findOutputs('*')) as Array<{ Value: unknown; Description: string }>;
    expect(outputs.map((o) => o.Description)).toEqual([
      'URL of the multinode service api',
      'Connection of the multinode app tweet-summaries (prefix tweets), read by multinode --stack',
    ]);
    expect(JSON.stringify(outputs[0]!.Value)).toContain('execute-api');
  });

  it('gives each Lambda the runtime environment and nothing app-specific beyond the prefix', () => {
    for (const [, fn] of resourcesOf(template, 'AWS::Lambda::Function')) {
      expect(Object.keys(fn.Environment.Variables).sort()).toEqual(['MULTINODE_APP', 'MULTINODE_BUCKET', 'MULTINODE_PREFIX', 'NODE_OPTIONS']);
      expect(fn.Environment.Variables.MULTINODE_PREFIX).toBe('tweets');
      expect(fn.Handler).toBe('app.handler');
    }
  });

  it('uses no Batch: no compute environment, no Batch permissions', () => {
    template.resourceCountIs('AWS::Batch::ComputeEnvironment', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    expect(
      policyStatements(template)
        .flatMap((s) => asArray(s.Action))
        .filter((a) => a.startsWith('batch:')),
    ).toEqual([]);
  });
});

describe('country-report', () => {
  const { template } = synthApp(exampleEntry('country-report'), { prefix: 'reports' });

  it('sizes the 4-vCPU, 8 GiB function on Lambda from the manifest', () => {
    const [, fn] = oneResource(template, 'AWS::Lambda::Function', byName('reports-buildReport'));
    expect(fn.MemorySize).toBe(8192);
    expect(fn.Timeout).toBe(600);
  });

  it('lets the scheduled task invoke the function it maps over', () => {
    const [, access] = oneResource(template, 'AWS::IAM::ManagedPolicy', () => true);
    const invoke = access.PolicyDocument.Statement.find((s: any) => asArray(s.Action).includes('lambda:InvokeFunction'));
    expect(JSON.stringify(invoke.Resource)).toContain(':function:reports-buildReport');
    expect(JSON.stringify(invoke.Resource)).not.toContain('dailyReports');
  });

  it('has a table for its dict', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'reports-dict-daily_country_reports',
      KeySchema: Match.arrayWith([Match.objectLike({ KeyType: 'HASH' })]),
    });
  });
});

describe.each(EXAMPLES)('%s: invariants and cdk-nag', (example) => {
  it.each([
    ['the example cdk.json feature flags', true],
    ['no feature flags', false],
  ])('has zero unacknowledged AwsSolutions findings with %s', (_, withFlags) => {
    const { app, stack } = synthApp(exampleEntry(example), {}, withFlags ? { context: exampleContext(example) } : {});
    expect(nagFindings(app, stack)).toEqual([]);
  });

  it('keeps the invariants: newest Node runtime, log groups with retention, no AWS managed policy, no "*" action', () => {
    const { template } = synthApp(exampleEntry(example), {}, { context: exampleContext(example) });
    const mine = resourcesOf(template, 'AWS::Lambda::Function').filter(([, p]) => p.Handler === 'app.handler');
    expect(mine.length).toBeGreaterThan(0);
    for (const [, fn] of mine) {
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.LoggingConfig.LogGroup).toBeDefined();
    }
    for (const [, group] of resourcesOf(template, 'AWS::Logs::LogGroup')) expect(group.RetentionInDays).toBeGreaterThan(0);
    for (const [, role] of resourcesOf(template, 'AWS::IAM::Role')) {
      expect(JSON.stringify(role.ManagedPolicyArns ?? [])).not.toMatch(/iam::aws:policy/);
    }
    for (const statement of policyStatements(template)) {
      for (const action of asArray(statement.Action)) expect(action).not.toContain('*');
    }
  });
});
