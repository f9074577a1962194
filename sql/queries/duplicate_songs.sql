-- description: Songs posted more than once (at least $min_sources records), most-posted first.
-- param min_sources = 2
-- param limit = 50
SELECT song_id, source_count, authors, sources
FROM song_sources
WHERE source_count >= $min_sources
ORDER BY source_count DESC, song_id
LIMIT $limit;
