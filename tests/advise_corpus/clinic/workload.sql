-- A doctor's day: equality, a range, ORDER BY the range. (doctor_id, starts_at) serves the
-- foreign key (WB301, folded into it), the range and the order.
SELECT id, reason, starts_at FROM appointments
WHERE doctor_id = ? AND starts_at >= ? AND starts_at < ? ORDER BY starts_at;

-- A category's items under a price, cheapest first: (category_id, price) replaces the
-- foreign key's own index ix_items_category_id (WB303, drop).
SELECT id, name, price FROM items WHERE category_id = ? AND price < ? ORDER BY price;
