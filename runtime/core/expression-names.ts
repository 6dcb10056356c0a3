/**
 * DynamoDB expressions refer to attributes as `#name`, and this maps every `#name` to the attribute `name`. Some
 * of our attribute names are reserved words (`status`, `owner`, `ttl`, `n`), which DynamoDB refuses bare.
 */
export function attributeNames(...expressions: Array<string | undefined>): Record<string, string> | undefined {
  const names: Record<string, string> = {};
  for (const expression of expressions) {
    for (const match of (expression ?? '').matchAll(/#([A-Za-z_][A-Za-z0-9_]*)/g)) names[match[0]] = match[1]!;
  }
  return Object.keys(names).length > 0 ? names : undefined;
}

/** `{ ExpressionAttributeNames }` for the expressions, or nothing when they name no attribute. */
export function withNames(...expressions: Array<string | undefined>): { ExpressionAttributeNames?: Record<string, string> } {
  const names = attributeNames(...expressions);
  return names ? { ExpressionAttributeNames: names } : {};
}
