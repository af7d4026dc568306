/** The four services of the app; a process runs some of them (`SERVICES`), all four by default. */
export const SERVICE_NAMES = ['orders', 'inventory', 'payment', 'shipping'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Whether a process runs fewer than all four services, so the others are reached over the broker. */
export function isSplit(services: readonly ServiceName[]): boolean {
  return SERVICE_NAMES.some((name) => !services.includes(name));
}
