/** Authentication and authorisation: roles, CIDR checks, JWT and basic credentials. No HTTP here. */
export { ROLES, roleAllows, highestRole, isRole, type Role } from "./roles.ts";
export { parseCidr, parseIp, cidrContains, clientAddress, inAny, type Cidr } from "./cidr.ts";
export { JwtVerifier, signToken, algorithmOf, MAX_TOKEN_CHARS, type JwtKey, type JwtSettings, type JwtAlgorithm } from "./jwt.ts";
export { BasicVerifier, parseBasic, BCRYPT_HASH, type BasicUser } from "./basic.ts";
export { Authenticator, type AuthSettings, type AuthRequest, type AuthPrincipal, type Scheme, type AlertmanagerApiAuth } from "./authenticator.ts";
export { AuthError } from "./errors.ts";
