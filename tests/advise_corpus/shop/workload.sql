-- What the shop's application runs. Placeholders in three DB-API styles.

-- products by name: nothing indexes name (WB311, advised)
SELECT id, sku, price FROM products WHERE name = ?;

-- the most expensive products: a sort the index on price avoids (WB313, advised)
SELECT sku, name FROM products ORDER BY price DESC LIMIT 10;

-- active products: a boolean matching most rows; an index does not help (not advised)
SELECT id, name FROM products WHERE active = :active;

-- the latest orders: a selective range on placed_at (WB311, advised)
SELECT id, total FROM orders WHERE placed_at > %(since)s ORDER BY placed_at LIMIT 50;

-- a customer's recent orders: the composite index already serves it (nothing to try)
SELECT id, total FROM orders WHERE customer_id = ? AND placed_at >= ? ORDER BY placed_at;

-- orders by status: already indexed (badly: WB305), nothing to try
SELECT id FROM orders WHERE status = 'paid';

-- the orders of a product: the link table's reverse index (WB304) serves it
SELECT o.id, o.placed_at FROM orders o JOIN order_items i ON i.order_id = o.id
WHERE i.product_id = ?;

-- a customer by email: the unique constraint serves it
SELECT * FROM customers WHERE email = ?;

-- pruning the audit log: a range on at (WB311, advised)
DELETE FROM audit_events WHERE at < ?;

-- not a query: ignored
INSERT INTO audit_events (at, what) VALUES ('2024-01-01', 'boot');
