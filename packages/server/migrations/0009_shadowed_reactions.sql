-- A shadow-banned user's reactions (docs/subsystems/moderation.md): stored, shown to them in their
-- own reactions, left out of counts, scores, latest reactions and reaction lists for everyone else.
alter table reactions add column shadowed boolean not null default false;
-- Whether a message has such reactions: reads skip the own-reactions subquery when a message has
-- no reactions at all, and this keeps that shortcut exact.
alter table messages add column hidden_reactions boolean not null default false;
