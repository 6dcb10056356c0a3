/**
 * Closing the local DynamoDB while requests are in flight: they finish first. dynalite keeps working on a request
 * after its connection is gone, so cutting connections at once left that work to fail on the closed database, as an
 * uncaught "Database is closed" in the process hosting it.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { startDynamo } from '../../runtime/local/dynamodb.js';

describe('the local DynamoDB', () => {
  it('lets requests in flight finish when it closes, and fails none of its own work afterwards', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    process.on('unhandledRejection', record);
    const dynamo = await startDynamo();
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'closing',
          KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      const puts = Array.from({ length: 200 }, (_, i) =>
        client.send(new PutItemCommand({ TableName: 'closing', Item: { k: { S: `k${i}` }, v: { S: 'x'.repeat(2000) } } })).then(
          () => 'ok',
          () => 'refused',
        ),
      );
      // Close once the first put is answered: the others are on their way, some in dynalite's hands.
      await Promise.race(puts);
      await dynamo.close();
      const outcomes = await Promise.all(puts);
      expect(outcomes).toContain('ok');
      // Anything dynalite still had to do would fail on the closed database after a tick or two.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
      client.destroy();
    }
  });
});
