/** Options of `SagaInspectorModule.forRoot`. */
export interface SagaInspectorOptions {
  /**
   * Path prefix the read API and the pages are mounted under (through Nest's `RouterModule`): `'ops'` serves
   * `/ops/sagas` and `/ops/ui`. Default: none, so `/sagas` and `/ui`. A global prefix applies on top.
   */
  path?: string;
  /** Serve the HTML inspector at `<path>/ui` beside the JSON API. Default true. */
  ui?: boolean;
  /** Links of the host app (its API docs, metrics, health) shown in the inspector's header. Default none. */
  links?: readonly { label: string; href: string }[];
  /**
   * Reads (API and pages) that run at once; more wait their turn, so listing never holds the whole connection
   * pool. Default 2.
   */
  readConcurrency?: number;
}

export const SAGA_INSPECTOR_OPTIONS = Symbol('SAGA_INSPECTOR_OPTIONS');
