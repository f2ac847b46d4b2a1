-- The reviewer-facing words of this server (queue, reason, flag, factor and action names, and
-- the store's review reasons), as one checked JSON document: it is read whole and served whole,
-- and AMO's names fill in whatever it leaves out.
CREATE TABLE vocabulary (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL CHECK (json_valid(body))
) STRICT;
