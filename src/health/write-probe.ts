import type { Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { SagaOrchestrator } from 'sagaworks';
import type { DataSource } from 'typeorm';

/** A write that changes nothing: it fails on a read-only database or a standby, which still answer pings. */
export type WriteProbe = () => Promise<void>;
export const WRITE_PROBE = Symbol('WRITE_PROBE');

/** Where sagas run: the saga table's own probe. */
export const sagaWriteProbe: Provider = {
  provide: WRITE_PROBE,
  inject: [SagaOrchestrator],
  useFactory:
    (sagas: SagaOrchestrator): WriteProbe =>
    () =>
      sagas.store.probeWrite(),
};

/** A service run apart (no saga tables): its outbox, which every such service has. */
export const outboxWriteProbe: Provider = {
  provide: WRITE_PROBE,
  inject: [getDataSourceToken()],
  useFactory:
    (dataSource: DataSource): WriteProbe =>
    async () => {
      await dataSource.query(`UPDATE sagaworks_outbox SET id = id WHERE false`);
    },
};
