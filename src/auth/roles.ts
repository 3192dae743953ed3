/** Ordered: each role may do everything the roles before it may. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function roleAllows(has: Role, needs: Role): boolean {
  return ROLES.indexOf(has) >= ROLES.indexOf(needs);
}

export function isRole(v: unknown): v is Role {
  return typeof v === "string" && (ROLES as readonly string[]).includes(v);
}

/** The highest known role in a roles claim (a string or an array of strings); unknown names are ignored. */
export function highestRole(claim: unknown): Role | undefined {
  const names = typeof claim === "string" ? [claim] : Array.isArray(claim) ? claim : [];
  let best: Role | undefined;
  for (const n of names) if (isRole(n) && (best === undefined || roleAllows(n, best))) best = n;
  return best;
}
