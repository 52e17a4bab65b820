/**
 * Broker topics as NATS subjects, injectively (two topics never share a subject).
 *
 * A subject is dot-separated tokens; a token may not be empty, contain whitespace or `.`, and
 * `*` / `>` are wildcards. Topics are `<app_id>/<name>` with `:` inside names
 * (`chat:<type>:<id>`), and ids may hold `.`, `|`, `@`, `+`, `=`, `!`... So:
 *
 *   subject = <prefix> "." <app token> ("." <name part token>)*
 *
 * - the app token is the text before the topic's first `/`, escaped; a topic without `/` gets
 *   the reserved token `__` instead;
 * - the rest is split on `:` and each part escaped;
 * - escaping keeps `A-Z a-z 0-9 -` and writes every other UTF-8 byte as `_` + two uppercase hex
 *   digits (`_` itself is `_5F`); a lone UTF-16 surrogate (not UTF-8 encodable) as `_u` + four
 *   uppercase hex digits; the empty string is `_`.
 *
 * An escaped token is `_` alone or a string in which every `_` starts an escape, so `__`
 * is never an escaped token, and decoding is unambiguous: the scheme is injective, and
 * `parley.<app>.>` matches exactly one app's topics. Examples:
 * `k3j2/chat:messaging:general` → `parley.k3j2.chat.messaging.general`,
 * `k3j2/user#alice` → `parley.k3j2.user_23alice`, `k3j2/chat:team:a.b` → `parley.k3j2.chat.team.a_2Eb`.
 */
const SAFE = /^[A-Za-z0-9-]$/;
const NO_SCOPE = '__';

export function escapeToken(text: string): string {
  if (text === '') return '_';
  let out = '';
  for (const char of text) {
    if (SAFE.test(char)) {
      out += char;
      continue;
    }
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += `_u${code.toString(16).toUpperCase().padStart(4, '0')}`;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function unescapeToken(token: string): string {
  if (token === '_') return '';
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) out += Buffer.from(bytes).toString('utf8');
    bytes = [];
  };
  for (let i = 0; i < token.length; i++) {
    const char = token[i]!;
    if (char === '_' && token[i + 1] === 'u') {
      const hex = token.slice(i + 2, i + 6);
      if (!/^[0-9A-F]{4}$/.test(hex)) throw new Error(`bad escape in subject token "${token}"`);
      flush();
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
    } else if (char === '_') {
      const hex = token.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new Error(`bad escape in subject token "${token}"`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (SAFE.test(char)) {
      flush();
      out += char;
    } else {
      throw new Error(`bad character in subject token "${token}"`);
    }
  }
  flush();
  return out;
}

export function topicToSubject(prefix: string, topic: string): string {
  const slash = topic.indexOf('/');
  const scope = slash < 0 ? NO_SCOPE : escapeToken(topic.slice(0, slash));
  const name = slash < 0 ? topic : topic.slice(slash + 1);
  return [prefix, scope, ...name.split(':').map(escapeToken)].join('.');
}

/** The inverse of topicToSubject (for tools and tests). */
export function subjectToTopic(prefix: string, subject: string): string {
  if (!subject.startsWith(`${prefix}.`)) throw new Error(`subject "${subject}" is not under "${prefix}"`);
  const [scope, ...parts] = subject.slice(prefix.length + 1).split('.');
  if (scope === undefined || parts.length === 0) throw new Error(`subject "${subject}" has no topic`);
  const name = parts.map(unescapeToken).join(':');
  return scope === NO_SCOPE ? name : `${unescapeToken(scope)}/${name}`;
}
