import { embeddedMetricLine, type MetricName } from "./metrics";

export type LogFields = Readonly<Record<string, unknown>>;
export type LogSink = (line: string) => void;

/** Structured JSON logs (one object per line) and EMF metric lines, both to stdout for CloudWatch. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  metrics(values: Partial<Record<MetricName, number>>): void;
}

function describeError(error: unknown): LogFields {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorMessage: String(error) };
}

export function createLogger(sink: LogSink = (line) => process.stdout.write(`${line}\n`), clock: () => Date = () => new Date()): Logger {
  const write = (level: string, message: string, fields: LogFields = {}): void => {
    const { error, ...rest } = fields as Record<string, unknown>;
    sink(JSON.stringify({ level, time: clock().toISOString(), message, ...rest, ...(error !== undefined ? describeError(error) : {}) }));
  };
  return {
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    metrics: (values) => sink(embeddedMetricLine(values, clock())),
  };
}
