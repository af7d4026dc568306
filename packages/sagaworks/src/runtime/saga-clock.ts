import { Injectable } from '@nestjs/common';

/** The saga runtime's only source of time, so tests can move it without sleeping. */
@Injectable()
export class SagaClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** Moves this clock forward (tests and the testing kit). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}
