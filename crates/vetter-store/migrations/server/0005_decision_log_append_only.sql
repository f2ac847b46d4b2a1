-- The decision log is the audit trail: a recorded decision is never changed or removed, so the
-- database itself refuses it, whatever code runs against the file (issue 18).
CREATE TRIGGER decisions_never_change
BEFORE UPDATE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions is an append-only log: a recorded decision never changes');
END;
CREATE TRIGGER decisions_never_deleted
BEFORE DELETE ON decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions is an append-only log: a recorded decision is never deleted');
END;
