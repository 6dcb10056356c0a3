/**
 * Problems of definitions, collected while an app's module loads instead of thrown one at a time, so that loading
 * an app reports every invalid definition at once. The app bundle turns collecting on before the user's module
 * runs (runtime/entry/collect-definition-problems.ts) and the app resolver takes the problems (lib/app.ts). A
 * definition created with collecting off (a test, a script) throws at its first problem.
 */
const SLOT = Symbol.for('multinode.definition-problems');
type Slot = { [SLOT]?: string[] };

/** From now on, definition problems are recorded instead of thrown. */
export function startCollectingProblems(): void {
  (globalThis as Slot)[SLOT] ??= [];
}

export function isCollectingProblems(): boolean {
  return (globalThis as Slot)[SLOT] !== undefined;
}

/** Records a problem; false when collecting is off (the caller throws instead). */
export function recordProblem(message: string): boolean {
  const problems = (globalThis as Slot)[SLOT];
  if (!problems) return false;
  problems.push(message);
  return true;
}

/** The problems recorded so far, in order; stops collecting. */
export function takeProblems(): string[] {
  const slot = globalThis as Slot;
  const problems = slot[SLOT] ?? [];
  delete slot[SLOT];
  return problems;
}
