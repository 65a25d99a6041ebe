-- The default options charge the price GET /v1/shipping/options lists, whatever the cart weighs: the public
-- contract quotes one price per option, so a weight surcharge made a checkout's shipping differ from it.
-- Only rows still holding the values 0005_shipping_seed.sql wrote change; an admin's own bands stay as they are.
-- Weight bands remain available to options an admin creates (POST /v1/admin/shipping/options).
UPDATE "shipping_rates" SET "per_kg_amount" = 0
WHERE ("option_id", "min_weight_grams", "base_amount", "per_kg_amount") IN (
  ('ship_us_standard', 0, 499, 100),
  ('ship_us_express', 0, 1499, 200),
  ('ship_eu_standard', 0, 999, 250),
  ('ship_eu_express', 0, 2499, 400),
  ('ship_row_standard', 0, 1999, 500),
  ('ship_row_express', 0, 3999, 800)
);
--> statement-breakpoint
DELETE FROM "shipping_rates"
WHERE ("option_id", "min_weight_grams", "base_amount", "per_kg_amount") IN (
  ('ship_us_standard', 5000, 899, 60),
  ('ship_us_express', 5000, 2499, 120),
  ('ship_eu_standard', 5000, 1999, 150)
);
