import { type INestApplication, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { HttpErrorFilter } from './http-error.filter';
import { refuseWhileDraining } from './refuse-while-draining';

/** Request body limit: orders are small; anything larger is refused before it is parsed. */
export const BODY_LIMIT = '64kb';

/**
 * Everything `main.ts` sets on the app beyond its modules, shared with the e2e tests so they test what runs:
 * validation (400 naming each bad field, unknown fields refused), body limit, error shape, OpenAPI at /docs,
 * graceful shutdown (503 to new requests while draining, exit 0).
 */
export function configureApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: BODY_LIMIT });
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  app.useGlobalFilters(new HttpErrorFilter());
  app.use(refuseWhileDraining(app));
  // process.exit(0) once shutdown has finished: re-raising the signal (Nest's default) ends the process with
  // 143, which supervisors read as a crash.
  app.enableShutdownHooks([], { useProcessExit: true });
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Sagaworks')
      .setDescription('Orders fulfilled by durable sagas')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}
