/** API Gateway HTTP API payload 2.0 <-> fetch Request/Response, and the local gateway's event shape. */
import { describe, expect, it } from 'vitest';
import { parseResult } from '../../runtime/local/gateway.js';
import { fromResponse, isHttpApiEvent, toRequest, type HttpApiEvent } from '../../runtime/services/http-api.js';

/** An event shaped like the AWS documentation's payload format 2.0 example. */
function event(overrides: Partial<HttpApiEvent> = {}): HttpApiEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/my/path',
    rawQueryString: 'parameter1=value1&parameter1=value2&parameter2=value',
    cookies: ['cookie1=a', 'cookie2=b'],
    headers: { host: 'abc123.execute-api.us-east-1.amazonaws.com', 'x-forwarded-proto': 'https', header1: 'value1,value2', 'content-type': 'application/json' },
    queryStringParameters: { parameter1: 'value1,value2', parameter2: 'value' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'POST', path: '/my/path', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'agent' },
      requestId: 'id',
      routeKey: '$default',
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    body: '{"hello":"world"}',
    isBase64Encoded: false,
    ...overrides,
  };
}

describe('event -> Request', () => {
  it('rebuilds URL, method, headers, cookies and body', async () => {
    const request = toRequest(event());
    expect(request.method).toBe('POST');
    expect(request.url).toBe('https://abc123.execute-api.us-east-1.amazonaws.com/my/path?parameter1=value1&parameter1=value2&parameter2=value');
    expect(new URL(request.url).searchParams.getAll('parameter1')).toEqual(['value1', 'value2']);
    expect(request.headers.get('header1')).toBe('value1,value2');
    expect(request.headers.get('cookie')).toBe('cookie1=a; cookie2=b');
    expect(await request.json()).toEqual({ hello: 'world' });
  });

  it('keeps the path and the query apart when the path arrives percent-decoded, and leaves an encoded path alone', () => {
    const url = (rawPath: string) => new URL(toRequest(event({ rawPath, rawQueryString: 'q=1' })).url);
    // HTTP APIs have been seen to decode rawPath: "/files/a%3Fb" arrives as "/files/a?b".
    expect([url('/files/a?b').pathname, url('/files/a?b').search]).toEqual(['/files/a%3Fb', '?q=1']);
    expect([url('/orders/a#b').pathname, url('/orders/a#b').search]).toEqual(['/orders/a%23b', '?q=1']);
    expect(decodeURIComponent(url('/100%').pathname)).toBe('/100%');
    expect(decodeURIComponent(url('/héllo wörld/😀').pathname)).toBe('/héllo wörld/😀');
    // Already encoded (the local gateway, or an API that keeps the encoding): unchanged.
    expect(url('/a%2Fb/c%20d').pathname).toBe('/a%2Fb/c%20d');
  });

  it('decodes base64 bodies and ignores bodies of GET', async () => {
    const bytes = Buffer.from([0, 1, 2, 250]);
    const binary = toRequest(event({ body: bytes.toString('base64'), isBase64Encoded: true }));
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2, 250]);
    const get = toRequest(event({ requestContext: { ...event().requestContext, http: { ...event().requestContext.http, method: 'GET' } } }));
    expect(get.body).toBeNull();
  });

  it('recognizes only payload 2.0 events', () => {
    expect(isHttpApiEvent(event())).toBe(true);
    expect(isHttpApiEvent({ version: '1.0', requestContext: {} })).toBe(false);
    expect(isHttpApiEvent({ multinode: 'call' })).toBe(false);
  });
});

describe('Response -> integration response', () => {
  it('keeps text as text, headers apart from cookies', async () => {
    const headers = new Headers({ 'content-type': 'application/json', 'x-one': '1' });
    headers.append('set-cookie', 'a=1');
    headers.append('set-cookie', 'b=2; Secure');
    const result = await fromResponse(new Response('{"ok":true}', { status: 201, headers }));
    expect(result).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'x-one': '1' },
      cookies: ['a=1', 'b=2; Secure'],
      body: '{"ok":true}',
      isBase64Encoded: false,
    });
  });

  it('base64-encodes binary bodies', async () => {
    const result = await fromResponse(new Response(new Uint8Array([255, 0, 128]), { headers: { 'content-type': 'application/octet-stream' } }));
    expect(result).toMatchObject({ body: Buffer.from([255, 0, 128]).toString('base64'), isBase64Encoded: true });
    // Text that is not UTF-8 (another charset, or invalid bytes under a text type) keeps its bytes.
    const latin1 = Buffer.from('café', 'latin1');
    expect(await fromResponse(new Response(latin1, { headers: { 'content-type': 'text/plain; charset=iso-8859-1' } }))).toMatchObject({
      body: latin1.toString('base64'),
      isBase64Encoded: true,
    });
    expect(await fromResponse(new Response(latin1, { headers: { 'content-type': 'text/plain' } }))).toMatchObject({
      body: latin1.toString('base64'),
      isBase64Encoded: true,
    });
    expect(await fromResponse(new Response('café', { headers: { 'content-type': 'text/plain; charset=UTF-8' } }))).toMatchObject({
      body: 'café',
      isBase64Encoded: false,
    });
    const empty = await fromResponse(new Response(null, { status: 204 }));
    expect(empty).toMatchObject({ statusCode: 204, body: '', isBase64Encoded: false });
  });

  it('reads a bare JSON result as a 200 JSON body, as API Gateway does', () => {
    expect(parseResult('{"statusCode":404,"body":"no"}')).toEqual({ statusCode: 404, body: 'no' });
    expect(parseResult('{"items":[1]}')).toEqual({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[1]}' });
    expect(parseResult('"text"')).toMatchObject({ statusCode: 200, body: 'text' });
  });
});
