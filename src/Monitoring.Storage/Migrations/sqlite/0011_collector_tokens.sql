-- Remote collector nodes (issue 22): an API token with the "collector" scope is bound to one zone of the room files;
-- it may read that zone's configuration and write samples for that zone's devices only. Null for every other token.
ALTER TABLE api_tokens ADD COLUMN zone TEXT;
