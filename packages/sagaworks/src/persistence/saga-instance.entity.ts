import { Check, Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { SagaStatus } from '../domain/saga-status.js';
import type { StepState } from '../domain/saga-state.js';

/**
 * One saga instance. Written by `SagaStore` with conditional SQL (never `save()`, which would ignore `version`);
 * mapped as an entity so host apps can read it with TypeORM. It declares every constraint and index the
 * migrations create, under the same names, so an app that also runs `synchronize` keeps them; the unique
 * (type, correlation id) is what makes a second start of one saga a no-op.
 */
@Entity({ name: 'saga_instance' })
@Unique('saga_instance_type_correlation_uq', ['type', 'correlationId'])
@Check('saga_instance_status_check', `status IN ('STARTED','RUNNING','COMPENSATING','COMPLETED','COMPENSATED','FAILED','STALLED')`)
@Index('saga_instance_wake_idx', ['wakeAt'], { where: 'wake_at IS NOT NULL' })
@Index('saga_instance_created_idx', ['createdAt', 'id'])
@Index('saga_instance_status_created_idx', ['status', 'createdAt', 'id'])
@Index('saga_instance_type_created_idx', ['type', 'createdAt', 'id'])
@Index('saga_instance_correlation_idx', ['correlationId'])
@Index('saga_instance_lease_idx', ['leaseOwner', 'leaseUntil'], { where: 'wake_at IS NOT NULL' })
export class SagaInstanceEntity {
  @PrimaryColumn('uuid', { primaryKeyConstraintName: 'saga_instance_pkey' }) id: string;
  @Column('text') type: string;
  @Column('text', { name: 'correlation_id' }) correlationId: string;
  @Column('text') status: SagaStatus;
  @Column('int', { name: 'step_index' }) stepIndex: number;
  @Column('text', { name: 'current_step', nullable: true }) currentStep: string | null;
  @Column('jsonb') steps: StepState[];
  @Column('jsonb') data: unknown;
  @Column('text', { name: 'failure_reason', nullable: true }) failureReason: string | null;
  @Column('timestamptz', { name: 'due_at', nullable: true }) dueAt: Date | null;
  @Column('text', { name: 'lease_owner', nullable: true }) leaseOwner: string | null;
  @Column('timestamptz', { name: 'lease_until', nullable: true }) leaseUntil: Date | null;
  @Column('timestamptz', { name: 'wake_at', nullable: true }) wakeAt: Date | null;
  @Column('int') version: number;
  @Column('int', { name: 'history_seq' }) historySeq: number;
  @Column('text', { name: 'definition_hash' }) definitionHash: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
