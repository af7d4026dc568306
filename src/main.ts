import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { type AppConfig, ConfigError, loadAppConfig } from './config/app-config';
import { configureApp } from './http/configure-app';

/** Validates the environment first: a bad value ends the process with one line naming the variable, exit 1. */
function configOrExit(): AppConfig {
  try {
    return loadAppConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const config = configOrExit();
  // Buffered until pino takes over, so even the start-up lines come out in the configured format.
  const app = configureApp(await NestFactory.create(AppModule.forRoot(config), { bufferLogs: true }));
  app.useLogger(app.get(PinoLogger));
  await app.listen(config.port);
  const db = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite at ${config.pgliteDataDir}`;
  Logger.log(`Sagaworks listening on http://localhost:${config.port} (database: ${db}; inspector at /ui, API docs at /docs)`, 'Bootstrap');
}

void bootstrap();
