-- Each stock row counts its changes: every transaction that changes on_hand or
-- reserved adds 1 and publishes the new level in a stock.changed event, so a
-- consumer (the catalog's mirror) applies a level only when its version is
-- newer than the one it holds, whatever order events arrive in. Rows that
-- exist before this migration start at 0: their first change publishes 1.
ALTER TABLE stock ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
