import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../auth/authenticate.js';
import type { UserRow } from '../db/users.js';
import { ApiError, permissionDenied, unauthorized } from '../errors.js';

/** Who may call a route; checked by the auth hook before the body is even read. */
export type AuthLevel =
  /** public: health, metrics, docs */
  | 'none'
  /** PARLEY_ADMIN_TOKEN */
  | 'operator'
  /** a server token of the app */
  | 'server'
  /** a server token, or any user of the app */
  | 'app'
  /** a user: a user token, or a server token acting as a user through X-Parley-User */
  | 'user';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

export type AppAuth = Extract<AuthContext, { kind: 'server' | 'user' }>;

/** Checks the resolved credentials against the route's level (401 missing, 403 wrong kind). */
export function checkLevel(auth: AuthContext | null, level: AuthLevel): void {
  if (level === 'none') return;
  if (!auth) throw unauthorized();
  switch (level) {
    case 'operator':
      if (auth.kind !== 'operator') throw permissionDenied('operator token required');
      return;
    case 'server':
      if (auth.kind !== 'server') throw permissionDenied('server token required');
      return;
    case 'app':
      if (auth.kind === 'operator') throw permissionDenied('an app token is required');
      return;
    case 'user':
      if (auth.kind === 'operator') throw permissionDenied('a user token is required');
      if (auth.kind === 'server' && !auth.user) {
        throw new ApiError('VALIDATION_ERROR', 'a server token must name the user in X-Parley-User', { field: 'X-Parley-User' });
      }
      return;
  }
}

export function appAuth(request: FastifyRequest): AppAuth {
  const auth = request.auth;
  if (!auth || auth.kind === 'operator') throw unauthorized();
  return auth;
}

/** The acting user of a 'user' route. */
export function actingUser(request: FastifyRequest): UserRow {
  const auth = appAuth(request);
  if (!auth.user) throw unauthorized();
  return auth.user;
}

/**
 * Server tokens and users with the app role `admin` manage the app's users. A server token acting
 * as a user (X-Parley-User) has that user's rights, no more.
 */
export function isAppAdmin(auth: AppAuth): boolean {
  return auth.user ? auth.user.role === 'admin' : auth.kind === 'server';
}

/** The caller's user id, if it is (or acts as) a user. */
export function callerUserId(auth: AppAuth): string | null {
  return auth.user?.id ?? null;
}
