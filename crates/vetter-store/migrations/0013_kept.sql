-- Step 13: decisions kept locally, with their signature and the comment made of them.

CREATE TABLE kept_decisions (
    decision_id TEXT PRIMARY KEY REFERENCES local_decisions (id),
    kid TEXT NOT NULL,
    jws TEXT NOT NULL,
    review_url TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
