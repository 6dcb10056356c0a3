/**
 * The frequent requests of the state table and of dicts (GetItem, PutItem, UpdateItem, DeleteItem, Query) with plain items, sent
 * through a DynamoDB client that resolves each command's middleware once (`cacheMiddleware`). The document client
 * cannot: each of its commands carries its input in the middleware it resolves, so it resolves the whole stack on
 * every send, about a fifth of a request's CPU in the client (measured against a server that answers at once). Items
 * are marshalled here by the document client's own rules (DOCUMENT_TRANSLATION, from @aws-sdk/util-dynamodb, which
 * the document client uses), so both read and write the same attributes.
 *
 * The runtime's clients (createClients) register their cached client with their document client; a document client
 * made elsewhere has none, and its requests go through it as before.
 */
import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand as DocumentQueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { DOCUMENT_TRANSLATION } from './document-translation.js';

type Item = Record<string, unknown>;
type Values = Record<string, unknown>;

/** What the state table and dicts send: the document client's inputs and outputs, with plain items. */
export interface ItemRequests {
  get(input: {
    TableName: string;
    Key: Item;
    ConsistentRead?: boolean;
    ProjectionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
  }): Promise<{
    Item?: Item;
  }>;
  put(input: {
    TableName: string;
    Item: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Values;
  }): Promise<unknown>;
  update(input: {
    TableName: string;
    Key: Item;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Values;
    ReturnValues?: 'ALL_NEW' | 'UPDATED_NEW';
  }): Promise<{ Attributes?: Item }>;
  delete(input: {
    TableName: string;
    Key: Item;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Values;
    ReturnValues?: 'ALL_OLD';
  }): Promise<{ Attributes?: Item }>;
  query(input: {
    TableName: string;
    IndexName?: string;
    KeyConditionExpression: string;
    FilterExpression?: string;
    ProjectionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Values;
    ScanIndexForward?: boolean;
    Limit?: number;
    ConsistentRead?: boolean;
    ExclusiveStartKey?: Item;
  }): Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>;
}

const cached = new WeakMap<DynamoDBDocumentClient, DynamoDBClient>();

/** Makes `documents`' frequent requests go through `client`, whose middleware is cached (same endpoint and table). */
export function registerCachedClient(documents: DynamoDBDocumentClient, client: DynamoDBClient): void {
  cached.set(documents, client);
}

// Copies, with the top-level forms set here: the document client writes its own defaults for these two into the
// options objects it is given (DOCUMENT_TRANSLATION's), on its first command.
const MARSHALL = { ...DOCUMENT_TRANSLATION.marshallOptions, convertTopLevelContainer: false as const };
const UNMARSHALL = { ...DOCUMENT_TRANSLATION.unmarshallOptions, convertWithoutMapWrapper: false };
const toItem = (item: Item): Record<string, AttributeValue> => marshall(item, MARSHALL);
const fromItem = (item: Record<string, AttributeValue>): Item => unmarshall(item, UNMARSHALL);
/** `input` with its expression values marshalled. */
function withValues<I extends { ExpressionAttributeValues?: Values }>(
  input: I,
): Omit<I, 'ExpressionAttributeValues'> & { ExpressionAttributeValues?: Record<string, AttributeValue> } {
  const { ExpressionAttributeValues, ...rest } = input;
  return ExpressionAttributeValues ? { ...rest, ExpressionAttributeValues: toItem(ExpressionAttributeValues) } : rest;
}

/** The frequent requests of `documents`: through its registered cached client, or through it. */
export function itemRequests(documents: DynamoDBDocumentClient): ItemRequests {
  const client = cached.get(documents);
  if (!client) {
    return {
      get: (input) => documents.send(new GetCommand(input)),
      put: (input) => documents.send(new PutCommand(input)),
      update: (input) => documents.send(new UpdateCommand(input)),
      delete: (input) => documents.send(new DeleteCommand(input)),
      query: (input) => documents.send(new DocumentQueryCommand(input)),
    };
  }
  return {
    async get(input) {
      const output = await client.send(new GetItemCommand({ ...input, Key: toItem(input.Key) }));
      return output.Item ? { Item: fromItem(output.Item) } : {};
    },
    put: (input) => client.send(new PutItemCommand({ ...withValues(input), Item: toItem(input.Item) })),
    async update(input) {
      const output = await client.send(new UpdateItemCommand({ ...withValues(input), Key: toItem(input.Key) }));
      return output.Attributes ? { Attributes: fromItem(output.Attributes) } : {};
    },
    async delete(input) {
      const output = await client.send(new DeleteItemCommand({ ...withValues(input), Key: toItem(input.Key) }));
      return output.Attributes ? { Attributes: fromItem(output.Attributes) } : {};
    },
    async query(input) {
      const output = await client.send(
        new QueryCommand({ ...withValues(input), ExclusiveStartKey: input.ExclusiveStartKey ? toItem(input.ExclusiveStartKey) : undefined }),
      );
      return {
        Items: (output.Items ?? []).map(fromItem),
        ...(output.LastEvaluatedKey ? { LastEvaluatedKey: fromItem(output.LastEvaluatedKey) } : {}),
      };
    },
  };
}
