import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeToken, subjectToTopic, topicToSubject, unescapeToken } from './nats-subject.js';

// A NATS subject: non-empty tokens, no whitespace, no wildcard tokens; ours: only [A-Za-z0-9_-].
const VALID = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

describe('NATS subjects for broker topics', () => {
  it('reads well for the topics Parley uses', () => {
    expect(topicToSubject('parley', 'k3j2/chat:messaging:general')).toBe('parley.k3j2.chat.messaging.general');
    expect(topicToSubject('parley', 'k3j2/user#alice')).toBe('parley.k3j2.user_23alice');
    expect(topicToSubject('parley', 'k3j2/chat:team:a.b')).toBe('parley.k3j2.chat.team.a_2Eb');
    expect(topicToSubject('parley', 'k3j2/chat:team:*')).toBe('parley.k3j2.chat.team._2A');
    expect(topicToSubject('parley', 'k3j2/control')).toBe('parley.k3j2.control');
    expect(topicToSubject('parley', 'no-app')).toBe('parley.__.no-app');
    expect(topicToSubject('parley', 'k3j2/')).toBe('parley.k3j2._');
  });

  it('is injective and valid for any string (round trip), lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (topic) => {
        const subject = topicToSubject('p.q', topic);
        expect(subject).toMatch(VALID);
        expect(subjectToTopic('p.q', subject)).toBe(topic);
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '_', '.', ':', '/', '#', '2', 'E', '*', '>', ' ', 'é') }), (topic) => {
        expect(subjectToTopic('p', topicToSubject('p', topic))).toBe(topic);
      }),
      { numRuns: 2_000 },
    );
  });

  it('escapes tokens reversibly and never produces "__"', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const token = escapeToken(text);
        expect(token).not.toBe('__');
        expect(unescapeToken(token)).toBe(text);
      }),
    );
  });
});
