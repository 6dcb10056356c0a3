/**
 * Names of secrets and config settings. They become environment variable names (`MULTINODE_SECRET_<name>` inside a
 * Batch container), lines of a `.env` file and the last part of a Secrets Manager secret name, so they follow the
 * rule all three accept.
 */
export const SETTING_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const SETTING_NAME_RULE = '1 to 128 characters from A-Z, a-z, 0-9 and "_", not starting with a digit';
