import type { Request, Response } from "express";
import { formatApiTime } from "../../types/time.ts";
import { sendJson } from "./alerts.ts";
import type { ApiContext } from "./context.ts";

/** The Alertmanager API version AlertPrism implements; amtool compares major.minor with its own. */
export const COMPAT_VERSION = "0.25.0";

export function getStatus(ctx: ApiContext, version: string) {
  return (_req: Request, res: Response): void => {
    sendJson(res, {
      cluster: ctx.cluster?.() ?? { peers: [], status: "disabled" },
      config: { original: ctx.originalConfig() },
      uptime: formatApiTime(ctx.startedAt),
      versionInfo: {
        branch: "alertprism",
        buildDate: "",
        buildUser: "alertprism",
        goVersion: `node${process.versions.node}`,
        revision: `alertprism-${version}`,
        version: COMPAT_VERSION,
      },
    });
  };
}

export function getReceivers(ctx: ApiContext) {
  return (_req: Request, res: Response): void => {
    sendJson(res, ctx.routing().receiverNames.map((name) => ({ name })));
  };
}
