import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from './support/test-app';

interface Trickled {
  /** The first line the server answered, if any. */
  answer: string;
  /** Milliseconds from the first byte sent until the server closed the connection. */
  closedAfterMs: number;
}

/**
 * Sends `head` and then `byte` every `everyMs`, as a slow-loris client does, until the server closes the
 * connection (or `giveUpMs` passes).
 */
function trickle(port: number, head: string, byte: string, everyMs: number, giveUpMs: number): Promise<Trickled> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    const drip = setInterval(() => socket.write(byte), everyMs);
    const giveUp = setTimeout(() => socket.destroy(new Error(`still open after ${giveUpMs} ms`)), giveUpMs);
    socket.on('data', (d: Buffer) => (answer ||= d.toString('latin1').split('\r\n')[0]));
    socket.on('error', (error) => {
      // a reset after the answer is a close too
      if (!answer) reject(error);
    });
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(giveUp);
      resolve({ answer, closedAfterMs: Date.now() - started });
    });
  });
}

// The HTTP layer does not depend on the database: PGlite only.
describe('HTTP server limits', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp('pglite');
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('says nothing of the framework: no X-Powered-By', async () => {
    for (const path of ['/products', '/no-such-route']) {
      const res = await t.http().get(path);
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('parses JSON bodies only: no urlencoded parser is installed', () => {
    const router = (t.app.getHttpAdapter().getInstance() as { router: { stack: { name: string }[] } }).router;
    const names = router.stack.map((layer) => layer.name);
    expect(names).toContain('jsonParser');
    expect(names).not.toContain('urlencodedParser');
  });

  it('limits how long a request, its headers and an idle connection may take', () => {
    const server = t.app.getHttpServer();
    expect({ request: server.requestTimeout, headers: server.headersTimeout, keepAlive: server.keepAliveTimeout }).toEqual({
      request: 30_000,
      headers: 10_000,
      keepAlive: 5_000,
    });
  });

  it('cuts off a body trickled one byte every 5 s after 30 s, and headers trickled after 10 s, with 408', async () => {
    const [body, headers] = await Promise.all([
      trickle(
        port,
        'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
        ' ',
        5_000,
        50_000,
      ),
      trickle(port, 'GET /products HTTP/1.1\r\nHost: x\r\n', 'X', 1_000, 50_000),
    ]);
    expect(body.answer).toBe('HTTP/1.1 408 Request Timeout');
    expect(body.closedAfterMs).toBeGreaterThanOrEqual(29_000);
    expect(body.closedAfterMs).toBeLessThan(40_000);
    expect(headers.answer).toBe('HTTP/1.1 408 Request Timeout');
    expect(headers.closedAfterMs).toBeGreaterThanOrEqual(9_000);
    expect(headers.closedAfterMs).toBeLessThan(20_000);
  }, 60_000);
});
