-- Default shipping zones, options and weight bands (USD minor units). ON CONFLICT DO NOTHING keeps admin edits and makes this safe to re-apply; workers/shipping/src/seed.ts holds the same data.
INSERT INTO "shipping_zones" ("id", "name", "countries", "is_default") VALUES
  ('zone_us', 'Domestic (US)', ARRAY['US']::text[], false),
  ('zone_eu', 'European Union', ARRAY['AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU', 'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK']::text[], false),
  ('zone_row', 'Rest of world', ARRAY[]::text[], true)
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "shipping_options" ("id", "zone_id", "name", "carrier", "estimated_days", "currency", "sort_order") VALUES
  ('ship_us_standard', 'zone_us', 'Standard', 'EdgePost', 5, 'USD', 1),
  ('ship_us_express', 'zone_us', 'Express', 'EdgePost', 2, 'USD', 2),
  ('ship_eu_standard', 'zone_eu', 'Standard', 'EdgePost', 7, 'USD', 1),
  ('ship_eu_express', 'zone_eu', 'Express', 'EdgePost', 3, 'USD', 2),
  ('ship_row_standard', 'zone_row', 'International Standard', 'EdgePost', 14, 'USD', 1),
  ('ship_row_express', 'zone_row', 'International Express', 'EdgePost', 5, 'USD', 2)
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO "shipping_rates" ("option_id", "min_weight_grams", "base_amount", "per_kg_amount") VALUES
  ('ship_us_standard', 0, 499, 100),
  ('ship_us_standard', 5000, 899, 60),
  ('ship_us_express', 0, 1499, 200),
  ('ship_us_express', 5000, 2499, 120),
  ('ship_eu_standard', 0, 999, 250),
  ('ship_eu_standard', 5000, 1999, 150),
  ('ship_eu_express', 0, 2499, 400),
  ('ship_row_standard', 0, 1999, 500),
  ('ship_row_express', 0, 3999, 800)
ON CONFLICT DO NOTHING;
