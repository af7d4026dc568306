import type { SagaStatus } from '../../index.js';

/** A child saga a step started, as its parent's page links to it. */
export interface ChildSagaLink {
  id: string;
  type: string;
  status: SagaStatus;
}

/** The parent a child saga belongs to, read off the child's correlation id. */
export interface ParentSagaLink {
  id: string;
  step: string;
}

const CHILD_CORRELATION = /^child:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(.+)$/i;

/** `child:<parentId>:<step>` (as `childCorrelationId` builds it) to its parent and step; null for any other id. */
export function parentOfCorrelation(correlationId: string): ParentSagaLink | null {
  const match = CHILD_CORRELATION.exec(correlationId);
  return match ? { id: match[1].toLowerCase(), step: match[2] } : null;
}
