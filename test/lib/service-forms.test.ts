/**
 * The forms of `service(...)`: options and a handler, or the handler alone, where a handler is a fetch function or
 * an object with a `fetch` method (a Hono app).
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import * as mn from '../../lib/index.js';

function honoApp(): Hono {
  const app = new Hono();
  app.get('/hello/:who', (c) => c.text(`hello ${c.req.param('who')}`));
  return app;
}

async function answer(service: mn.ServiceDefinition, path: string): Promise<string> {
  return (await service.handler(new Request(`http://localhost${path}`))).text();
}

describe('service forms', () => {
  it('takes a Hono app alone (options left out), as fn takes a handler alone', async () => {
    const service = mn.service(honoApp());
    expect(service.options).toEqual({ cpu: 0.1, memoryMiB: 256, timeoutSeconds: 29, auth: 'none', secrets: [] });
    expect(await answer(service, '/hello/ada')).toBe('hello ada');
  });

  it('takes a fetch function alone', async () => {
    const service = mn.service((request: Request) => new Response(new URL(request.url).pathname));
    expect(await answer(service, '/a/b')).toBe('/a/b');
  });

  it('takes options with the app object or with its fetch', async () => {
    const app = honoApp();
    expect(await answer(mn.service({ cpu: 1 }, app), '/hello/bo')).toBe('hello bo');
    expect(await answer(mn.service({ auth: 'iam' }, app.fetch), '/hello/cy')).toBe('hello cy');
  });

  it('says what a service needs when given options without a handler, or something else', () => {
    expect(() => mn.service({ cpu: 1 } as never)).toThrow(
      /service at .*: expected a fetch handler \(\(request: Request\) => Response\) or an object with a fetch method \(a Hono app\)/,
    );
    expect(() => mn.service(42 as never)).toThrow(/options must be an object such as \{ cpu: 2 \}, not number/);
  });
});
