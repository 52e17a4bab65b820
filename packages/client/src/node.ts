/**
 * @parley/client/node — everything of the main entry plus Node-only adapters.
 *
 * @example
 * import { ParleyClient, FileStorage } from '@parley/client/node';
 * import WebSocket from 'ws';
 * const bot = new ParleyClient({ url, tokenProvider, storage: new FileStorage('./.bot-state'), WebSocket });
 */
export * from './index.js';
export { FileStorage } from './offline/storage-file.js';
