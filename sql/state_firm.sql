-- Firm a shipment or pin a completion; returns its id.
INSERT INTO firmed_shipments
    (source_id, commitment_id, partner_id, item_id, month, units, kind, who, at)
VALUES (:source_id, :commitment_id, :partner_id, :item_id, :month, :units, :kind, :who, :at)
RETURNING id;
