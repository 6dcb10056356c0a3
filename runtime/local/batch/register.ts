/** Registers the local Batch endpoint with the local cloud (imported once by runtime/local/registrations.ts). */
import { registerLocalService } from '../extensions.js';
import { localBatchExtension } from './extension.js';

registerLocalService(localBatchExtension);
