-- A charge may be refunded several times, in parts, up to its amount (the
-- running total on the charge makes each refund one conditional UPDATE).
ALTER TABLE sandbox_charges ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0;
UPDATE sandbox_charges SET refunded_amount = amount
  WHERE id IN (SELECT charge_id FROM sandbox_refunds);
ALTER TABLE sandbox_refunds DROP CONSTRAINT sandbox_refunds_charge_id_key;
ALTER TABLE sandbox_refunds ADD COLUMN amount BIGINT NOT NULL DEFAULT 0;
UPDATE sandbox_refunds SET amount = c.amount FROM sandbox_charges c
  WHERE c.id = sandbox_refunds.charge_id;
CREATE INDEX sandbox_refunds_by_charge ON sandbox_refunds (charge_id, created_at);
