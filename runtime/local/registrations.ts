/**
 * The local cloud's optional services, one registration line each (runtime/local/extensions.ts). The jobs issue
 * registers the local Batch endpoint here.
 */
import './batch/register.js';
