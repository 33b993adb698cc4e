-- Add a comment to an exception; returns its id.
INSERT INTO exception_comments (exception_key, who, at, text)
VALUES (:exception_key, :who, :at, :text)
RETURNING id;
