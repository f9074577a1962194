-- description: catalog songs most like song $song_id: cosine similarity of song vectors (after `beepbrain embed`); equal scores ranked by how much of the arrangement (tempo, rhythm, bars, channels, instrument types) matches
-- param song_id = ''
-- param k = 10
WITH q AS (
    SELECT e.vector, s.tempo, s.rhythm, s.beats_per_bar, s.bar_count, s.pitch_channels, s.noise_channels,
           s.instrument_types
    FROM song_embeddings e JOIN songs s USING (song_id)
    WHERE song_id = $song_id AND e.vector IS NOT NULL
)
SELECT s.song_id, s.author, s.source_url,
       array_cosine_similarity(e.vector, q.vector) AS score,
       (s.tempo = q.tempo)::INT + (s.rhythm = q.rhythm)::INT + (s.beats_per_bar = q.beats_per_bar)::INT
         + (s.bar_count = q.bar_count)::INT + (s.pitch_channels = q.pitch_channels)::INT
         + (s.noise_channels = q.noise_channels)::INT + (s.instrument_types = q.instrument_types)::INT
         AS arrangement_match
FROM song_embeddings e
JOIN songs s USING (song_id)
CROSS JOIN q
WHERE e.song_id <> $song_id AND e.vector IS NOT NULL
ORDER BY round(score, 5) DESC, arrangement_match DESC, s.song_id
LIMIT $k;
