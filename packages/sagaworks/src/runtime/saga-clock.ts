import { Injectable } from '@nestjs/common';

/**
 * The saga runtime's only source of time, so tests can move it without sleeping.
 *
 * Deadlines and leases written by one instance are read by every other, so all of them must agree on the time.
 * Hosts' clocks drift and get stepped; the database is the one clock they share. `anchorTo` measures this host's
 * offset to it (the timeout job does so at start and then periodically) and `now()` applies it.
 */
@Injectable()
export class SagaClock {
  private advancedMs = 0;
  private offsetToDatabaseMs = 0;

  now(): Date {
    return new Date(this.hostNowMs() + this.offsetToDatabaseMs + this.advancedMs);
  }

  /** Moves this clock forward (tests and the testing kit). */
  advance(ms: number): void {
    this.advancedMs += ms;
  }

  /** This host's clock offset to the database's, as last measured. */
  get offsetMs(): number {
    return this.offsetToDatabaseMs;
  }

  /**
   * Measures the offset to a reference clock (the database's). The reading is taken as made halfway through the
   * round trip, so the error is at most half the round trip.
   */
  async anchorTo(readReference: () => Promise<Date>): Promise<void> {
    const sent = this.hostNowMs();
    const reference = await readReference();
    const received = this.hostNowMs();
    this.offsetToDatabaseMs = reference.getTime() - (sent + received) / 2;
  }

  /** The host's own clock. A test models a host whose clock is wrong by overriding this in a subclass. */
  protected hostNowMs(): number {
    return Date.now();
  }
}
