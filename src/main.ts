import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { type AppConfig, ConfigError, listeningLine, loadAppConfig } from './config/app-config';
import { APP_OPTIONS, configureApp } from './http/configure-app';
import { startTracing } from './observability/tracing';

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
  // Off unless a collector is named: without a provider the saga spans cost nothing.
  const stopTracing = config.otlpEndpoint ? startTracing(config.otlpEndpoint, config.otelServiceName) : undefined;
  // Buffered until pino takes over, so even the start-up lines come out in the configured format.
  const app = configureApp(await NestFactory.create(AppModule.forRoot(config), { ...APP_OPTIONS, bufferLogs: true }));
  app.useLogger(app.get(PinoLogger));
  if (stopTracing) process.once('beforeExit', () => void stopTracing());
  await app.listen(config.port, config.host);
  // The port actually bound: PORT=0 asks the system for a free one.
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  Logger.log(listeningLine(config, port), 'Bootstrap');
}

void bootstrap();
