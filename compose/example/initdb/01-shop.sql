-- Example data for compose/docker-compose.yml's `db` (run once, on an empty data directory).
CREATE TABLE orders (
  id serial PRIMARY KEY,
  customer text NOT NULL,
  total numeric(10, 2) NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO orders (customer, total) SELECT 'customer ' || i, i * 1.25 FROM generate_series(1, 1000) i;
