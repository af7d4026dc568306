import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { CommandHandler, CqrsModule, type ICommand, type ICommandHandler, type IEvent } from '@nestjs/cqrs';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { buildDataSourceOptions } from '../../../../src/database/data-source-options.js';
import { sagaMigrations } from '../persistence/migrations/index.js';
import { defineSaga, send } from '../definition/saga-definition.js';
import { renderSagaDiagram } from '../definition/saga-diagram.js';
import { SagaModule } from '../saga.module.js';
import { checkDefinition, SagaDefinitionError } from './saga-contract-check.js';

class Book implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class Unbook implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class Orphan implements ICommand {
  constructor(public readonly sagaId: string) {}
}
class Booked implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class Unbooked implements IEvent {
  constructor(public readonly sagaId: string) {}
}
class Rejected implements IEvent {
  constructor(
    public readonly sagaId: string,
    public readonly reason: string,
  ) {}
}

@CommandHandler(Book)
class BookHandler implements ICommandHandler<Book> {
  async execute(): Promise<void> {}
}
@CommandHandler(Unbook)
class UnbookHandler implements ICommandHandler<Unbook> {
  async execute(): Promise<void> {}
}

const good = defineSaga<{ n: number }>({
  type: 'good',
  steps: [
    {
      name: 'book',
      command: send(Book, (c) => [c.sagaId]),
      completedBy: [Booked],
      failedBy: [Rejected],
      compensation: send(Unbook, (c) => [c.sagaId]),
      compensatedBy: [Unbooked],
    },
    { name: 'finish', command: send(Book, (c) => [c.sagaId]), completedBy: [], nonCompensable: true },
  ],
});

const broken = defineSaga<{ n: number }>({
  type: 'broken',
  steps: [
    { name: 'a', command: send(Orphan, (c) => [c.sagaId]), completedBy: [Booked] },
    {
      name: 'b',
      command: send(Book, (c) => [c.sagaId]),
      completedBy: [Unbooked],
      compensation: send(Orphan, (c) => [c.sagaId]),
      timeoutMs: 0,
    },
  ],
});

describe('checkDefinition', () => {
  it('lists every problem of a broken definition', () => {
    const problems = checkDefinition(broken, new Set([Book, Unbook]));
    expect(problems).toEqual([
      'broken / a: no @CommandHandler is registered for Orphan',
      'broken / a: has no compensation and is not marked nonCompensable',
      'broken / b: no @CommandHandler is registered for its compensation Orphan',
      'broken / b: names no compensatedBy event, so its compensation can never finish',
      'broken / b: timeoutMs must be a positive number',
    ]);
  });

  it('accepts a sound definition, but not a step that can never complete', () => {
    expect(checkDefinition(good, new Set([Book, Unbook]))).toEqual(['good / finish: names no completedBy event, so it can never complete']);
  });
});

describe('SagaModule at bootstrap', () => {
  async function boot(definition: typeof broken): Promise<unknown> {
    @Module({ imports: [SagaModule.forFeature([definition])], providers: [BookHandler, UnbookHandler] })
    class Feature {}
    const moduleRef = await Test.createTestingModule({
      imports: [
        CqrsModule.forRoot(),
        ScheduleModule.forRoot(),
        TypeOrmModule.forRootAsync({
          useFactory: async () => ({
            ...(await buildDataSourceOptions(
              { pgliteDataDir: 'memory://', poolSize: 1 },
              { migrations: sagaMigrations, migrationsRun: true },
            )),
            autoLoadEntities: true,
          }),
        }),
        SagaModule.forRoot({ jobEnabled: false }),
        Feature,
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
      return null;
    } catch (error) {
      return error;
    } finally {
      await app.close().catch(() => undefined);
    }
  }

  it('refuses to start with a broken definition, naming every problem in one error', async () => {
    const error = await boot(broken);
    expect(error).toBeInstanceOf(SagaDefinitionError);
    expect((error as SagaDefinitionError).problems).toHaveLength(5);
    expect((error as Error).message).toContain('broken / a: no @CommandHandler is registered for Orphan');
  });
});

describe('renderSagaDiagram', () => {
  it('draws the forward path, the failure edges and the compensations as Mermaid', () => {
    const diagram = renderSagaDiagram(good);
    expect(diagram.split('\n')[0]).toBe('stateDiagram-v2');
    expect(diagram).toContain('state "book: Book" as book');
    expect(diagram).toContain('state "undo book: Unbook" as undo_book');
    expect(diagram).toContain('book --> finish: Booked');
    expect(diagram).toContain('book --> Compensated: Rejected');
    expect(diagram).toContain('book --> undo_book: timed out');
    expect(diagram).toContain('undo_book --> Compensated: Unbooked');
    expect(diagram).toContain('finish --> undo_book: timed out');
  });
});
