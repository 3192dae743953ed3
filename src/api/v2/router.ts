import { Router, type Request, type Response, type NextFunction, type RequestHandler } from "express";
import { ApiError } from "../http-error.ts";
import { getAlerts, postAlerts, getAlertGroups } from "./alerts.ts";
import { getSilences, postSilences, getSilence, deleteSilence } from "./silences.ts";
import { getStatus, getReceivers } from "./status.ts";
import type { ApiContext } from "./context.ts";

type Handler = (req: Request, res: Response) => void | Promise<void>;

/** One path with its methods; other methods get Alertmanager's 405 listing the allowed ones. */
function resource(router: Router, path: string, methods: Array<[string, Handler]>): void {
  const allowed = methods.map(([m]) => m);
  router.all(path, (req: Request, res: Response, next: NextFunction) => {
    const method = req.method === "HEAD" ? "GET" : req.method;
    const handler = methods.find(([m]) => m === method)?.[1];
    if (!handler) {
      next(ApiError.framework(405, `method ${req.method} is not allowed, but [${allowed.join(",")}] are`));
      return;
    }
    Promise.resolve(handler(req, res)).catch(next);
  });
}

export function apiV2Router(ctx: ApiContext, version: string, bodyParser: RequestHandler): Router {
  const r = Router({ caseSensitive: true, strict: false });
  r.use(bodyParser);
  resource(r, "/status", [["GET", getStatus(ctx, version)]]);
  resource(r, "/receivers", [["GET", getReceivers(ctx)]]);
  resource(r, "/alerts", [["POST", postAlerts(ctx)], ["GET", getAlerts(ctx)]]);
  resource(r, "/alerts/groups", [["GET", getAlertGroups(ctx)]]);
  resource(r, "/silences", [["POST", postSilences(ctx)], ["GET", getSilences(ctx)]]);
  resource(r, "/silence/:silenceID", [["DELETE", deleteSilence(ctx)], ["GET", getSilence(ctx)]]);
  r.use((req: Request, _res: Response, next: NextFunction) => {
    next(ApiError.framework(404, `path ${req.baseUrl}${req.path} was not found`));
  });
  return r;
}
