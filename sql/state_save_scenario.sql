-- Record a saved what-if scenario file; returns its id.
INSERT INTO saved_scenarios (name, path, sha256, who, at)
VALUES (:name, :path, :sha256, :who, :at)
RETURNING id;
