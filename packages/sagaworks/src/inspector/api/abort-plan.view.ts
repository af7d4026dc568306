import { SagaStatus } from '../../domain/saga-status.js';
import type { AbortPlan } from '../../runtime/saga-orchestrator.js';

/** Answer of `POST /sagas/:id/abort?dryRun=true`: what an abort would do now; nothing was changed. */
export interface AbortPlanView extends AbortPlan {
  dryRun: true;
  /** Whether an abort would apply: only a saga still moving forward can be aborted. */
  applicable: boolean;
}

export function toAbortPlanView(plan: AbortPlan): AbortPlanView {
  return { dryRun: true, applicable: plan.status === SagaStatus.RUNNING || plan.status === SagaStatus.STARTED, ...plan };
}
