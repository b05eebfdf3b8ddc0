-- Two statements in one file, as migrations often are.
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  body TEXT NOT NULL
);
CREATE INDEX notes_body ON notes (body);
