/** The Batch benchmark's app: one function placed on AWS Batch that does (almost) nothing. */
import * as mn from 'multinode';

export const bump = mn.fn({ compute: 'batch' }, async (n: number) => n + 1);
