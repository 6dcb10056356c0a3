/**
 * CloudWatch Logs' limits the local endpoint enforces, as the API reference states them
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html).
 */
export const LOGS_LIMITS = {
  /** PutLogEvents: events per batch. */
  maxBatchEvents: 10_000,
  /** PutLogEvents: the sum of the messages' UTF-8 bytes plus `eventOverheadBytes` per event. */
  maxBatchBytes: 1_048_576,
  eventOverheadBytes: 26,
  /** One event: its message's UTF-8 bytes plus the overhead (the SDK documents "no larger than 1 MB"). */
  maxEventBytes: 1_048_576,
  /** A batch may not span more than this between its first and last timestamp. */
  maxBatchSpanMs: 24 * 3600 * 1000,
  /** Events further ahead than this are rejected (tooNewLogEventStartIndex), not stored. */
  maxFutureMs: 2 * 3600 * 1000,
  /** Events older than this are rejected (tooOldLogEventEndIndex), not stored. */
  maxAgeMs: 14 * 24 * 3600 * 1000,
  /** FilterLogEvents and GetLogEvents: events per response at most (and their default). */
  maxEventsPerPage: 10_000,
  /** ... and about this many bytes of messages per response. */
  maxPageBytes: 1_048_576,
  /** DescribeLogGroups / DescribeLogStreams: items per page at most (and their default). */
  maxDescribePage: 50,
  /** FilterLogEvents: logStreamNames given at most. */
  maxStreamNames: 100,
  /** Names: 1 to 512 characters. */
  maxNameLength: 512,
} as const;

/** Log group names: letters, digits and `._-/#` (CreateLogGroup). */
export const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
/** Log stream names: anything but `:` and `*` (CreateLogStream). */
export const LOG_STREAM_NAME = /^[^:*]+$/;
