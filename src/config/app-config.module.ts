import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { AppConfig } from './app-config';

/** What `ConfigService` holds: the validated app config under `app` (`config.get('app.log', { infer: true })`). */
export interface AppConfigTree {
  app: AppConfig;
}

/**
 * Serves the app config through `@nestjs/config` (global `ConfigService`). The environment is validated once,
 * before the app is built, by `loadAppConfig` (the schema: every variable, its type, range and default), so a
 * bad value stops the process with one message naming the variable; this module only exposes the result.
 * `process.env` and `.env` files are not read here, so tests can pass any config they build.
 */
@Module({})
export class AppConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppConfigModule,
      global: true,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [(): AppConfigTree => ({ app: config })],
        }),
      ],
      exports: [ConfigModule],
    };
  }
}
