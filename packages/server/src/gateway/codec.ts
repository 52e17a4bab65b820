/**
 * Frames in, frames out: the JSON encoding of the client protocol. A frame is one or more JSON
 * objects separated by newlines; anything else is a protocol violation (the connection closes
 * with 3501), decided before any command of the frame runs.
 */
import type { Command, CommandKind, Reply } from './protocol-types.js';

export class BadFrame extends Error {}

const REQUESTS = ['connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'ping', 'rpc', 'refresh', 'sub_refresh', 'send'] as const;
const MAX_ID = 0xffffffff;
const MAX_CHANNEL = 255;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optional(body: Record<string, unknown>, field: string, type: 'string' | 'boolean' | 'object'): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (type === 'object' ? !isObject(value) : typeof value !== type) throw new BadFrame(`${field} must be a ${type}`);
}

function offset(body: Record<string, unknown>, field: string): void {
  const value = body[field];
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new BadFrame(`${field} must be a non-negative integer`);
}

function channel(body: Record<string, unknown>): void {
  const value = body.channel;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CHANNEL) throw new BadFrame('channel must be a non-empty string');
}

/** Checks the request's shape (types only; meaning is checked by its handler). */
function checkBody(kind: CommandKind, body: Record<string, unknown>): void {
  switch (kind) {
    case 'connect':
      optional(body, 'token', 'string');
      optional(body, 'subs', 'object');
      optional(body, 'name', 'string');
      optional(body, 'version', 'string');
      return;
    case 'subscribe':
      channel(body);
      optional(body, 'token', 'string');
      optional(body, 'recover', 'boolean');
      optional(body, 'epoch', 'string');
      offset(body, 'offset');
      offset(body, 'flag');
      optional(body, 'join_leave', 'boolean');
      return;
    case 'history':
      channel(body);
      optional(body, 'reverse', 'boolean');
      optional(body, 'since', 'object');
      if (body.limit !== undefined && (typeof body.limit !== 'number' || !Number.isSafeInteger(body.limit))) throw new BadFrame('limit must be an integer');
      if (isObject(body.since)) {
        offset(body.since, 'offset');
        optional(body.since, 'epoch', 'string');
      }
      return;
    case 'rpc':
      optional(body, 'method', 'string');
      return;
    case 'refresh':
      optional(body, 'token', 'string');
      return;
    case 'unsubscribe':
    case 'publish':
    case 'presence':
    case 'presence_stats':
    case 'sub_refresh':
      channel(body);
      return;
    default:
      return;
  }
}

function parseCommand(value: unknown): Command {
  if (!isObject(value)) throw new BadFrame('a command must be a JSON object');
  const keys = Object.keys(value);
  if (keys.length === 0) return { id: 0, kind: 'pong', body: {} };
  const present = REQUESTS.filter((kind) => value[kind] !== undefined && value[kind] !== null);
  const unknown = keys.filter((key) => key !== 'id' && !(REQUESTS as readonly string[]).includes(key));
  if (unknown.length > 0) throw new BadFrame(`unknown field ${unknown[0]}`);
  if (present.length !== 1) throw new BadFrame('a command holds exactly one request');
  const kind = present[0]!;
  const body = value[kind];
  if (!isObject(body)) throw new BadFrame(`${kind} must be an object`);
  checkBody(kind, body);
  const id = value.id;
  if (kind === 'send') {
    if (id !== undefined && id !== 0) throw new BadFrame('send takes no id');
    return { id: 0, kind, body } as Command;
  }
  if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0 || id > MAX_ID) throw new BadFrame('a command needs a positive integer id');
  return { id, kind, body } as Command;
}

/** Parses every command of a frame, or throws BadFrame for the first malformed one. */
export function decodeFrame(text: string): Command[] {
  const commands: Command[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new BadFrame('malformed JSON');
    }
    commands.push(parseCommand(value));
  }
  if (commands.length === 0) throw new BadFrame('empty frame');
  return commands;
}

export function encodeReplies(replies: Reply[]): string {
  return replies.map((reply) => JSON.stringify(reply)).join('\n');
}
