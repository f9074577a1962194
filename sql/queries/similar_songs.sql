-- description: catalog songs most like song $song_id: cosine similarity of song vectors (after `beepbrain embed`)
-- param song_id = ''
-- param k = 10
SELECT s.song_id, s.author, s.source_url,
       array_cosine_similarity(e.vector, q.vector) AS score
FROM song_embeddings e
JOIN songs s USING (song_id)
CROSS JOIN (SELECT vector FROM song_embeddings WHERE song_id = $song_id) q
WHERE e.song_id <> $song_id AND e.vector IS NOT NULL
ORDER BY score DESC, s.song_id
LIMIT $k;
