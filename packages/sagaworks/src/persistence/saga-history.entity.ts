import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { SagaInstanceEntity } from './saga-instance.entity.js';

/** One append-only line of a saga's life: a saga-level change (`step` null) or a step's. */
@Entity({ name: 'saga_history' })
export class SagaHistoryEntity {
  @PrimaryColumn('uuid', { name: 'saga_id', primaryKeyConstraintName: 'saga_history_pkey' }) sagaId: string;
  @PrimaryColumn('int', { primaryKeyConstraintName: 'saga_history_pkey' }) seq: number;
  /** The saga this line belongs to; declared so `synchronize` keeps the migrations' foreign key. */
  @ManyToOne(() => SagaInstanceEntity, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'saga_id', referencedColumnName: 'id', foreignKeyConstraintName: 'saga_history_saga_id_fkey' })
  saga?: Relation<SagaInstanceEntity>;
  @Column('text', { nullable: true }) step: string | null;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus: string | null;
  @Column('text', { name: 'to_status' }) toStatus: string;
  @Column('text', { nullable: true }) reason: string | null;
  @Column('timestamptz') at: Date;
}
