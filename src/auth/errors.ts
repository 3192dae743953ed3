/** An authentication (401) or authorisation (403) failure, with a message safe to show and to log. */
export class AuthError extends Error {
  constructor(readonly status: 401 | 403, message: string, readonly challenge?: string) {
    super(message);
    this.name = "AuthError";
  }
}
