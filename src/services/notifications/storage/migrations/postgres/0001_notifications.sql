-- Events the notifications consumer has handled (events::claimEvent), so a
-- redelivered event sends no second mail. Timestamps are RFC 3339 UTC text.
CREATE TABLE processed_events (
  consumer     TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  processed_at TEXT NOT NULL,
  PRIMARY KEY (consumer, event_id)
);

-- Every message accepted by the mailer, for support ("did the customer get
-- the confirmation?"). message_id is derived from event and recipient.
CREATE TABLE sent_mail (
  event_id   TEXT NOT NULL,
  recipient  TEXT NOT NULL,
  subject    TEXT NOT NULL,
  message_id TEXT NOT NULL PRIMARY KEY,
  sent_at    TEXT NOT NULL
);
CREATE INDEX sent_mail_by_event ON sent_mail (event_id);
CREATE INDEX sent_mail_by_recipient ON sent_mail (recipient, sent_at);
