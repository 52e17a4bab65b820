export * from './errors.js';
export * from './permissions.js';
export * from './channel-types.js';
export * from './can.js';
export * from './schemas/common.js';
export * from './schemas/apps.js';
export * from './schemas/users.js';
export * from './schemas/channel-types.js';
