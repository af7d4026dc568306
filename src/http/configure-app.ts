import type { Server } from 'node:http';
import { type INestApplication, type NestApplicationOptions, ValidationPipe } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig, type TrustProxy } from '../config/app-config';
import { refuseDeepBodies } from './body-depth';
import { HttpErrorFilter } from './http-error.filter';
import { jsonBodiesOnly } from './json-bodies-only';
import { refuseWhileDraining } from './refuse-while-draining';
import { validationException } from './validation-messages';

/** Request body limit: orders are small; anything larger is refused before it is parsed. */
export const BODY_LIMIT = '64kb';

/**
 * Options the app is created with (`main.ts`, the test apps): no body parsers of Nest's own, so the only one is
 * the JSON parser `configureApp` adds (Nest's defaults would add a urlencoded one too).
 */
export const APP_OPTIONS = { bodyParser: false } as const satisfies NestApplicationOptions;

/**
 * How long a client may take: to send the whole request (a body trickled a byte at a time is cut off with 408),
 * to send its headers, and to keep an idle connection open. How often Node checks the first two, so a request
 * is cut off at most that much after its deadline (Node's default is 30 s).
 */
export const SERVER_TIMEOUTS = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
} as const;

/** The app's TRUST_PROXY; off for an app built without the app config (a library host in a test). */
function trustProxyOf(app: INestApplication): TrustProxy {
  try {
    return app.get<AppConfig>(APP_CONFIG, { strict: false }).trustProxy;
  } catch {
    return false;
  }
}

function limitServer(server: Server): void {
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeoutMs;
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeoutMs;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeoutMs;
  // Read by Node when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = SERVER_TIMEOUTS.checkIntervalMs;
}

/**
 * Everything `main.ts` sets on the app beyond its modules, shared with the e2e tests so they test what runs:
 * validation (400 naming each bad field, at most 20 of them, unknown fields refused), JSON bodies only (415
 * otherwise), body limit, nesting depth (400 past 32 levels, before validation), error shape, server timeouts,
 * no `X-Powered-By`, `trust proxy` from TRUST_PROXY, OpenAPI at /docs, graceful shutdown (503 to new requests
 * while draining, exit 0). Create the app with {@link APP_OPTIONS}.
 */
export function configureApp(app: INestApplication): INestApplication {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // req.ip, which keys the throttle of failed token checks, is the proxy's address unless the proxy is trusted.
  express.set('trust proxy', trustProxyOf(app));
  limitServer(app.getHttpServer() as Server);
  app.use(jsonBodiesOnly);
  express.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(refuseDeepBodies);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationException }),
  );
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
