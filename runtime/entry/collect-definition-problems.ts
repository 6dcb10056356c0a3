/**
 * Imported by the app bundle's entry before the user's module, so that it runs first: definitions created while
 * the module loads record their problems, and the app resolver reports all of them together (lib/collect.ts).
 */
import { startCollectingProblems } from '../../lib/collect.js';

startCollectingProblems();
