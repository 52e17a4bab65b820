import { Type, type TProperties, type TSchema, type ObjectOptions } from '@sinclair/typebox';

/** An object schema that rejects unknown fields (no mass assignment). */
export function Strict<T extends TProperties>(properties: T, options: ObjectOptions = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** Integrator-chosen ids (users, channels): unique per app. */
export const Id = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_@.|=+!-]+$' });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const Custom = Type.Record(Type.String(), Type.Unknown(), { description: 'Free-form custom fields' });
export const Limit = Type.Integer({ minimum: 1, maximum: 200 });
export const Cursor = Type.String({ maxLength: 512, description: 'Opaque pagination cursor' });
export const SortDirection = Type.Union([Type.Literal(1), Type.Literal(-1)]);

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
      retry_after: Type.Optional(Type.Number()),
    }),
  },
  { $id: 'Error' },
);

export const Ok = Type.Object({ ok: Type.Literal(true) });

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}
