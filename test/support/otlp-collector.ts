import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an OTLP/HTTP collector receives (the exporter's JSON encoding), flattened to spans. */
export interface OtlpSpan {
  traceId: string;
  name: string;
  /** The `service.name` of the process that sent it (OTEL_SERVICE_NAME). */
  service?: string;
}
interface OtlpBody {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

/** A collector on a free port that keeps every span posted to /v1/traces. */
export async function startCollector(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; posts: string[] }> {
  const spans: OtlpSpan[] = [];
  const posts: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''}`);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpBody;
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? [])
            for (const span of ss.spans ?? []) spans.push({ traceId: span.traceId, name: span.name, service });
        }
      } catch {
        // a body this collector cannot read fails the test through the spans it lacks
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, posts };
}
