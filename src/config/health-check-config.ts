/** `extensions::health_check`: the liveness/readiness endpoint, secured like every statset server. */
import { endpoint, urlPath, z } from "./schema.ts";
import { refineExposure, serverSecurityShape } from "./server-security.ts";

export const DEFAULT_HEALTH_ENDPOINT = "127.0.0.1:13133";

export const healthCheckSchema = z
  .strictObject({
    endpoint: endpoint().prefault(DEFAULT_HEALTH_ENDPOINT).describe("listen address"),
    path: urlPath()
      .prefault("/health")
      .describe("path answering 200 once every component started, 503 while stopping"),
    ...serverSecurityShape,
  })
  .superRefine(refineExposure);

export type HealthCheckConfig = z.output<typeof healthCheckSchema>;
