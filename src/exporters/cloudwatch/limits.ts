/**
 * Amazon CloudWatch API limits, one named constant each, with the limit they cite. Everything the
 * exporters send is checked against these before it leaves the process; what cannot be sent is
 * dropped with a counted reason.
 */

/** PutMetricData: "Each request can include up to 1000 different metrics" (MetricData array). */
export const MAX_DATUMS_PER_REQUEST = 1000;

/**
 * PutMetricData: "Each PutMetricData request is limited to 1 MB in size for HTTP POST requests."
 * We take the stricter reading (10^6 bytes, not 2^20) and count the uncompressed AWS JSON 1.0 body,
 * which is never smaller than the gzip payload the SDK actually sends.
 */
export const MAX_REQUEST_BYTES = 1_000_000;

/** MetricDatum.Dimensions: "Array Members: Maximum number of 30 items." */
export const MAX_DIMENSIONS = 30;

/** MetricDatum.Values/Counts: "You can include up to 150 unique values in each ... Values array." */
export const MAX_VALUES_PER_DATUM = 150;

/** MetricDatum.MetricName: "Length Constraints: Minimum length of 1. Maximum length of 255." */
export const MAX_METRIC_NAME_LENGTH = 255;

/** Dimension.Name: length 1..255, ASCII, at least one non-whitespace character, no leading ':'. */
export const MAX_DIMENSION_NAME_LENGTH = 255;

/** Dimension.Value: length 1..1024, ASCII, at least one non-whitespace character. */
export const MAX_DIMENSION_VALUE_LENGTH = 1024;

/** PutMetricData Namespace: length 1..255, pattern `[^:].*`, and not starting with `AWS/`. */
export const MAX_NAMESPACE_LENGTH = 255;

/**
 * MetricDatum.Value: "CloudWatch rejects values that are either too small or too large. Values must
 * be in the range of -2^360 to 2^360. In addition, special values (for example, NaN, +Infinity,
 * -Infinity) are not supported." The same applies to StatisticValues and Values.
 */
export const MAX_ABS_VALUE = 2 ** 360;

/**
 * Older revisions of the same reference give the magnitude range as 2e-360 .. 2e360 (base 2): non-zero
 * magnitudes below 2^-360 are sent as 0 (a change of less than 1e-108 per value, never a drop).
 */
export const MIN_ABS_NONZERO_VALUE = 2 ** -360;

/** MetricDatum.Timestamp: data "up to two weeks in the past and up to two hours into the future". */
export const MAX_TIMESTAMP_AGE_MS = 14 * 24 * 3600 * 1000;
export const MAX_TIMESTAMP_FUTURE_MS = 2 * 3600 * 1000;

/** MetricDatum.StorageResolution: "Valid values are 1 and 60." */
export const HIGH_RESOLUTION = 1;
export const STANDARD_RESOLUTION = 60;

/** EMF specification: "A DimensionSet MUST NOT contain more than 30 dimension keys." */
export const MAX_EMF_DIMENSION_KEYS = 30;

/** EMF specification: "The CloudWatchMetrics ... Metrics array MUST NOT contain more than 100 MetricDefinition objects." */
export const MAX_EMF_METRICS_PER_EVENT = 100;

/** EMF specification: a metric's value array "MUST NOT contain more than 100 values". */
export const MAX_EMF_VALUES_PER_METRIC = 100;

/**
 * EMF documents are CloudWatch Logs events: "The maximum log event size is 256 KB" including 26 bytes
 * of per-event overhead that PutLogEvents adds.
 */
export const MAX_EMF_EVENT_BYTES = 256 * 1024 - 26;
