-- The search index keeps only which blobs hold each trigram (`detail=none`), not where: on the
-- year-sized benchmark's cache the positions made the index 1.3 GB of a 1.5 GB file, eight times
-- the stored files. A literal is then asked for as all of its trigrams anywhere in a blob, which
-- narrows less than a phrase; the regex run on each candidate still decides every hit.
-- Every blob is indexed again, in the background and resumably, as after any import.

DROP TABLE search_text;
CREATE VIRTUAL TABLE search_text USING fts5(body, content='', tokenize='trigram', detail='none');
DELETE FROM search_indexed;
