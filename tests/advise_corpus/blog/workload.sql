-- The blog's reads, as an application on SQLAlchemy would send them.

-- a post's comments in order: the index on (post_id, created_at) serves the foreign key
-- (WB301, folded into it) and the sort (WB313, with evidence)
SELECT id, body FROM comments WHERE post_id = ? ORDER BY created_at;

-- the front page: the newest posts (WB313, advised)
SELECT id, title FROM posts ORDER BY created_at DESC LIMIT 10;

-- published posts: half the table; an index does not help (not advised)
SELECT id, title FROM posts WHERE published = ?;

-- the posts of a tag: the link table's reverse index (WB304, from the models)
SELECT p.id, p.title FROM posts p JOIN post_tags pt ON pt.post_id = p.id WHERE pt.tag_id = ?;

-- a user by email: the unique constraint serves it
SELECT id, name FROM users WHERE email = ?;
