/**
 * CloudFormation's awsQuery answers: XML documents in the 2010-05-15 namespace, `<Action>Response>` wrapping
 * `<Action>Result>` and the request id, lists as `<member>` elements, errors as `<ErrorResponse>`.
 */

const NAMESPACE = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

/** Text and attribute values, escaped for XML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** An element of escaped text, or nothing when there is no value. */
export function text(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** An element holding already rendered children. */
export function element(name: string, children: string): string {
  return `<${name}>${children}</${name}>`;
}

/** A list: one `<member>` per item. */
export function members(name: string, items: readonly string[]): string {
  return element(name, items.map((item) => element('member', item)).join(''));
}

export function responseDocument(action: string, result: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NAMESPACE}">` +
    `${element(`${action}Result`, result)}${element('ResponseMetadata', text('RequestId', requestId))}</${action}Response>`
  );
}

export function errorDocument(type: 'Sender' | 'Receiver', code: string, message: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${NAMESPACE}">` +
    `${element('Error', `${text('Type', type)}${text('Code', code)}${text('Message', message)}`)}${text('RequestId', requestId)}</ErrorResponse>`
  );
}
