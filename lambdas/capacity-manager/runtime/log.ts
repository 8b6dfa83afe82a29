/**
 * Structured JSON logs and EMF metrics through Powertools for AWS Lambda (@aws-lambda-powertools/logger and
 * /metrics): every line carries the service, the function's request id, the X-Ray trace id and the cold-start flag
 * once the handler passed its context in, and the function's log level (AWS_LAMBDA_LOG_LEVEL, set by its logging
 * config) filters them. Metrics keep the namespace, names, unit and the single `Service` dimension of
 * ./metrics.ts, so the alarms built on them keep working.
 */
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { METRIC_DIMENSIONS, METRIC_NAMESPACE, METRIC_SERVICE, type MetricName } from "../contract/metrics";

export type LogFields = Readonly<Record<string, unknown>>;
export type LogSink = (line: string) => void;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Counts (unit Count), published at once as one EMF document. */
  metrics(values: Partial<Record<MetricName, number>>): void;
  /** The invocation's context: request id, function name and cold start join every following line. */
  addContext(context: Context): void;
}

function describeError(error: unknown): LogFields {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message };
  return { errorMessage: String(error) };
}

/** What Powertools writes through: its own Console on stdout in Lambda, or a sink (tests, benchmarks). */
type Printer = Record<"log" | "info" | "warn" | "error" | "debug" | "trace", (line: string) => void>;

function printer(sink: LogSink): Printer {
  const write = (line: string) => sink(line);
  return { log: write, info: write, warn: write, error: write, debug: write, trace: write };
}

/**
 * @param sink where lines go instead of stdout (one JSON document per call)
 * @param _clock unused: Powertools stamps logs and metrics with the current time, which is what CloudWatch checks
 */
export function createLogger(sink?: LogSink, _clock?: () => Date): Logger {
  const logger = new PowertoolsLogger({ serviceName: METRIC_SERVICE });
  // Powertools adds a lower-case `service` dimension of its own; the alarms use the one `Service` dimension set.
  const [dimensions] = METRIC_DIMENSIONS;
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, logger });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions(Object.fromEntries(dimensions.map((name) => [name, METRIC_SERVICE])));
  if (sink) {
    // Powertools prints through a `console` property (a Console on stdout); a sink takes its place.
    (logger as unknown as { console: Printer }).console = printer(sink);
    (metrics as unknown as { console: Printer }).console = printer(sink);
  }
  const write = (level: "info" | "warn" | "error", message: string, fields: LogFields = {}): void => {
    const { error, ...rest } = fields as Record<string, unknown>;
    logger[level](message, { ...rest, ...(error !== undefined ? describeError(error) : {}) });
  };
  return {
    info: (message, fields) => write("info", message, fields),
    warn: (message, fields) => write("warn", message, fields),
    error: (message, fields) => write("error", message, fields),
    metrics: (values) => {
      const entries = Object.entries(values).filter((entry): entry is [MetricName, number] => typeof entry[1] === "number");
      if (entries.length === 0) return;
      for (const [name, value] of entries) metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    },
    addContext: (context) => logger.addContext(context),
  };
}

/**
 * A Lambda entry point that hands its context to the logger first, so the lines of the invocation carry the request
 * id and the cold-start flag.
 */
export function withLogContext<E, R>(handler: (event: E) => Promise<R>, logger: () => Logger): (event: E, context?: Context) => Promise<R> {
  return async (event, context) => {
    if (context) logger().addContext(context);
    return handler(event);
  };
}
