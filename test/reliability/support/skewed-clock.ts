import { SagaClock } from 'sagaworks';

/** A host whose clock is wrong by `skewMs` (positive: ahead). The saga runtime must not care, once anchored. */
export class SkewedClock extends SagaClock {
  constructor(readonly skewMs: number) {
    super();
  }

  /** What this host's own clock says (for the report). */
  hostNow(): Date {
    return new Date(this.hostNowMs());
  }

  protected override hostNowMs(): number {
    return Date.now() + this.skewMs;
  }
}
