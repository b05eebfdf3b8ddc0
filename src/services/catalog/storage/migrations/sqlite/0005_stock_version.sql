-- The catalog mirrors inventory's levels from stock.changed events (consumer
-- catalog.stock). Each level carries the SKU's version, which grows by 1 with
-- every change: a level is applied only when its version is newer than the
-- one held here, so redelivered or reordered events change nothing. 0: no
-- level mirrored yet (stock is then the seed's or an admin's figure).
ALTER TABLE variants ADD COLUMN stock_version INTEGER NOT NULL DEFAULT 0;
