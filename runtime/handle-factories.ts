/** Providers of job and lock handles (the jobs issue registers them in runtime/registrations.ts). */
import type { JobHandle, LockHandle } from '../lib/handles.js';
import type { RuntimeContext } from './context.js';

export interface HandleFactories {
  job?: (context: RuntimeContext, name: string) => JobHandle<unknown, unknown>;
  lock?: (context: RuntimeContext, name: string) => LockHandle;
}

export const handleFactories: HandleFactories = {};

export function registerHandleFactory<K extends keyof HandleFactories>(kind: K, factory: NonNullable<HandleFactories[K]>): void {
  handleFactories[kind] = factory;
}
