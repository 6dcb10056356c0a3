/** The JSON shapes of the dashboard's API, as the page reads them (see runtime/dashboard/api.ts). */

export interface AppInfo {
  app: string;
  mode: 'local' | 'deployed';
  where?: string;
  pollMs: number;
  services: Array<{ name: string; url: string }>;
  dicts: string[];
  definitions: Array<{ name: string; kind: string; placement: string | null; resources?: string; url?: string }>;
}

export interface ProgressBar {
  percent: number;
  label: string;
}

export interface RunRow {
  id: string;
  name: string;
  kind: string;
  status: string;
  attempts: number;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  scheduledTime?: string;
  trigger?: string;
  error?: { type: string; message: string; stack?: string };
  progress?: unknown;
  progressBar?: ProgressBar;
}

export interface RunDetail extends RunRow {
  placement?: string;
  deadline?: string;
  maxAttempts?: number;
  input?: unknown;
  result?: unknown;
  batchJobId?: string;
  heartbeatAt?: string;
  cancelRequestedAt?: string;
  leaseUntil?: string;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface Counts {
  pending: number;
  running: number;
  failed: number;
}

export interface PauseInfo {
  pausedAt: string;
  pausedBy?: string;
  reason?: string;
}

export interface Status {
  app: string;
  failedSince: string;
  runs: Counts;
  runsByDefinition: Record<string, Counts>;
  services: Array<{ name: string; url: string }>;
  schedules: Array<{ name: string; description: string; timezone: string; nextFireTime?: string; paused?: PauseInfo; lastRun?: RunRow }>;
}

export interface ScheduleView {
  name: string;
  words: string;
  description: string;
  timezone: string;
  placement: string | null;
  resources?: string;
  paused?: PauseInfo;
  next: Array<{ time: string; local: string }>;
  lastRuns: RunRow[];
  more?: boolean;
}

export interface LogLine {
  id: string;
  time: number;
  definition?: string;
  text?: string;
  level?: string;
  message?: string;
  fields?: unknown;
  runId?: string;
  attempt?: number;
  error?: { type: string; message: string; stack: string };
}
