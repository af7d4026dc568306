import { afterEach, describe, expect, it } from '@jest/globals';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { SagaInspectorOptions } from './saga-inspector-options.js';
import { SagaInspectorModule } from './saga-inspector.module.js';
import { sagaHostImports } from '../spec-support/saga-host-imports.js';

async function host(options: SagaInspectorOptions, globalPrefix?: string): Promise<INestApplication<Server>> {
  const moduleRef = await Test.createTestingModule({
    imports: [...sagaHostImports(), SagaInspectorModule.forRoot(options)],
  }).compile();
  const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
  if (globalPrefix) app.setGlobalPrefix(globalPrefix);
  await app.init();
  return app;
}

describe('SagaInspectorModule', () => {
  let app: INestApplication<Server> | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('when mounted under a path and a global prefix, serves the API and the pages there, every link relative to the mount', async () => {
    app = await host({ path: 'ops', links: [{ label: 'Health', href: '/api/health' }] }, 'api');
    const http = () => request(app!.getHttpServer());
    await http().get('/api/ops/sagas').expect(200, { items: [], nextCursor: null });
    await http().get('/sagas').expect(404);
    const page = (await http().get('/api/ops/ui').expect(200)).text;
    expect(page).toContain('<base href="/api/ops/ui/">');
    expect(page).toContain('<a href="definitions"');
    expect(page).toContain('<a href="/api/health">Health</a>');
    expect(page).not.toMatch(/href="\/ui|src="\/ui/);
    expect((await http().get('/api/ops/ui/definitions').expect(200)).text).toContain('<base href="/api/ops/ui/">');
    const waiting = (await http().get('/api/ops/ui/waiting').expect(200)).text;
    expect(waiting).toContain('<base href="/api/ops/ui/">');
    expect(waiting).toContain('No saga is waiting.');
    await http().get('/api/ops/sagas?waiting=true').expect(200, { items: [], nextCursor: null });
    const missing = await http().get('/api/ops/ui/sagas/00000000-0000-4000-8000-000000000000').expect(404);
    expect(missing.text).toContain('<base href="/api/ops/ui/">');
    await http().get('/api/ops/ui/assets/inspector.js').expect(200);
  });

  it('when mounted at the root without links, serves /sagas and /ui with no link of the host app', async () => {
    app = await host({});
    const page = (await request(app.getHttpServer()).get('/ui/').expect(200)).text;
    expect(page).toContain('<base href="/ui/">');
    expect(page).not.toContain('/docs');
    await request(app.getHttpServer()).get('/sagas').expect(200, { items: [], nextCursor: null });
  });

  it('when the pages are turned off, serves the API only', async () => {
    app = await host({ ui: false });
    await request(app.getHttpServer()).get('/sagas').expect(200);
    await request(app.getHttpServer()).get('/ui').expect(404);
  });
});
