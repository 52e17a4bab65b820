import { Type, type Static } from '@sinclair/typebox';
import { Strict, Timestamp, Nullable } from './common.js';
import { ROLE_NAME_PATTERN } from '../permissions.js';

export const CreateAppBody = Strict({ name: Type.String({ minLength: 1, maxLength: 100 }) });
export type CreateAppBody = Static<typeof CreateAppBody>;

export const AppSummary = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });
export type AppSummary = Static<typeof AppSummary>;

export const KeyInfo = Type.Object({ key_id: Type.String(), created_at: Timestamp });
export const KeyWithSecret = Type.Object({ key_id: Type.String(), secret: Type.String(), created_at: Timestamp });
export type KeyWithSecret = Static<typeof KeyWithSecret>;

export const CreateAppResponse = Type.Object({ app: AppSummary, key_id: Type.String(), secret: Type.String() });
export type CreateAppResponse = Static<typeof CreateAppResponse>;

export const AppList = Type.Object({ apps: Type.Array(Type.Object({ ...AppSummary.properties, keys: Type.Array(KeyInfo) })) });

export const AuthProvider = Strict({
  name: Type.String({ minLength: 1, maxLength: 64 }),
  jwks_url: Type.String({ format: 'uri', maxLength: 2048 }),
  issuer: Type.String({ minLength: 1, maxLength: 512 }),
  audience: Type.String({ minLength: 1, maxLength: 512 }),
  user_id_claim: Type.String({ minLength: 1, maxLength: 128, default: 'sub' }),
});
export type AuthProvider = Static<typeof AuthProvider>;

export const AppLimits = Strict({
  requests_per_second_per_user: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  requests_per_second_per_app: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  messages_per_minute_per_user: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  max_upload_bytes: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 * 1024 ** 3 })),
});
export type AppLimits = Static<typeof AppLimits>;

export const RoleName = Type.String({ pattern: ROLE_NAME_PATTERN });

export const AppSettings = Strict({
  limits: Type.Optional(AppLimits),
  roles: Type.Optional(Type.Array(RoleName, { maxItems: 50, uniqueItems: true })),
  auth_providers: Type.Optional(Type.Array(AuthProvider, { maxItems: 10 })),
  webhooks: Type.Optional(Type.Array(Strict({ url: Type.String({ format: 'uri' }), events: Type.Optional(Type.Array(Type.String())) }), { maxItems: 10 })),
  push: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  event_retention_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
});
export type AppSettings = Static<typeof AppSettings>;

export const PatchAppBody = Strict({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  settings: Type.Optional(AppSettings),
});
export type PatchAppBody = Static<typeof PatchAppBody>;

export const AppDetail = Type.Object({
  app: Type.Object({
    id: Type.String(),
    name: Type.String(),
    created_at: Timestamp,
    settings: Type.Record(Type.String(), Type.Unknown()),
    effective_limits: Type.Record(Type.String(), Type.Number()),
    roles: Type.Array(Type.String()),
  }),
});

export const DeletedKey = Type.Object({ key_id: Type.String(), deleted_at: Nullable(Timestamp) });
