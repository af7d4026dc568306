import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One append-only line of a saga's life: a saga-level change (`step` null) or a step's. */
@Entity({ name: 'saga_history' })
export class SagaHistoryEntity {
  @PrimaryColumn('uuid', { name: 'saga_id' }) sagaId: string;
  @PrimaryColumn('int') seq: number;
  @Column('text', { nullable: true }) step: string | null;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus: string | null;
  @Column('text', { name: 'to_status' }) toStatus: string;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz') at: Date;
}
