import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SagaOrchestrator } from 'sagaworks';
import { checkoutSaga, CheckoutModule } from './readme-example/checkout.module';
import { createTestDatabase, postgresKinds, type TestDatabase } from './support/test-database';

const HEADING = '## Use the library in your app';

function readmeExample(): string {
  const readme = readFileSync(resolve(process.cwd(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(HEADING));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`README has no \`\`\`ts block under "${HEADING}"`);
  return match[1];
}

describe('the README example', () => {
  it('is, word for word, test/readme-example/checkout.module.ts (which the type check compiles)', () => {
    const file = readFileSync(resolve(process.cwd(), 'test/readme-example/checkout.module.ts'), 'utf8');
    expect(readmeExample()).toBe(file);
  });

  it('imports only entry points that the library package exports', () => {
    const pkg = JSON.parse(readFileSync(resolve(process.cwd(), 'packages/sagaworks/package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, unknown>;
    };
    const imported = [...readmeExample().matchAll(/from '(sagaworks[^']*)'/g)].map((m) => `.${m[1].slice(pkg.name.length)}`);
    expect(pkg.name).toBe('sagaworks');
    expect(imported.length).toBeGreaterThan(0);
    for (const entry of imported) expect(Object.keys(pkg.exports)).toContain(entry);
  });
});

// It connects with `url: process.env.DATABASE_URL`, as a user's app would: it runs on the real PostgreSQL.
for (const kind of postgresKinds())
  describe(`the README example runs, on ${kind}`, () => {
    let db: TestDatabase;
    let app: INestApplication;
    const saved = process.env.DATABASE_URL;

    afterAll(async () => {
      await app?.close();
      await db?.drop();
      process.env.DATABASE_URL = saved;
    });

    it('completes a checkout and compensates a declined one', async () => {
      db = await createTestDatabase(kind);
      process.env.DATABASE_URL = db.target.url;
      const moduleRef = await Test.createTestingModule({ imports: [CheckoutModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
      const sagas = app.get(SagaOrchestrator);
      const ok = await sagas.start(checkoutSaga, { correlationId: 'cart-1', data: { amountCents: 1_999 } });
      expect((await sagas.waitForEnd(ok.id, 10_000))?.status).toBe('COMPLETED');
      const declined = await sagas.start(checkoutSaga, { correlationId: 'cart-2', data: { amountCents: 50_000 } });
      const ended = await sagas.waitForEnd(declined.id, 10_000);
      expect(ended?.status).toBe('COMPENSATED');
      expect(ended?.failureReason).toBe('charge failed: over the limit');
    });
  });
