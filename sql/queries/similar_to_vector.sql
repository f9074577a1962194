-- description: catalog songs most like a song vector $vector (FLOAT[256], e.g. from beepbrain.embed), other than $exclude
-- param exclude = ''
-- param k = 10
SELECT s.song_id, s.author, s.source_url,
       array_cosine_similarity(e.vector, $vector::FLOAT[256]) AS score
FROM song_embeddings e
JOIN songs s USING (song_id)
WHERE e.song_id <> $exclude AND e.vector IS NOT NULL
ORDER BY score DESC, s.song_id
LIMIT $k;
