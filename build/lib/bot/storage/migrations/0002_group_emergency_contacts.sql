-- Local numbers shown on the emergency card when set: the regency's PSC 119 ambulance and the
-- nearest hospital that holds antivenom (SABU).
ALTER TABLE pos_groups ADD COLUMN ambulance_phone TEXT;
ALTER TABLE pos_groups ADD COLUMN hospital_name TEXT;
ALTER TABLE pos_groups ADD COLUMN hospital_phone TEXT;
