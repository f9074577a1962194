-- description: catalog songs most like song $song_id: cosine similarity of song vectors (after `beepbrain embed`). Songs playing exactly its notes (the same notes_hash: re-saves of it) are left out unless $include_identical. Equal scores (the same notes up to transposition) rank the same song in another key first (the same form_hash: `transposed`), then by how much of the arrangement (tempo, rhythm, bars, channels, instrument types) matches, then by the nearest key
-- param song_id = ''
-- param k = 10
-- param include_identical = false
WITH q AS (
    SELECT e.vector, e.notes_hash, e.form_hash, e.lowest_pitch, s.tempo, s.rhythm, s.beats_per_bar,
           s.bar_count, s.pitch_channels, s.noise_channels, s.instrument_types
    FROM song_embeddings e JOIN songs s USING (song_id)
    WHERE song_id = $song_id AND e.vector IS NOT NULL
),
scored AS (
    SELECT s.song_id, s.author, s.source_url,
           array_cosine_similarity(e.vector, q.vector) AS score,
           (s.tempo = q.tempo)::INT + (s.rhythm = q.rhythm)::INT + (s.beats_per_bar = q.beats_per_bar)::INT
             + (s.bar_count = q.bar_count)::INT + (s.pitch_channels = q.pitch_channels)::INT
             + (s.noise_channels = q.noise_channels)::INT + (s.instrument_types = q.instrument_types)::INT
             AS arrangement_match,
           coalesce(e.notes_hash = q.notes_hash, false) AS identical,
           coalesce(e.form_hash = q.form_hash, false) AS same_form,
           abs(e.lowest_pitch - q.lowest_pitch) AS key_distance
    FROM song_embeddings e
    JOIN songs s USING (song_id)
    CROSS JOIN q
    WHERE e.song_id <> $song_id AND e.vector IS NOT NULL
)
SELECT song_id, author, source_url, score, arrangement_match, identical, same_form AND NOT identical AS transposed
FROM scored
WHERE $include_identical OR NOT identical
ORDER BY round(score, 5) DESC, identical DESC, same_form DESC, arrangement_match DESC, key_distance ASC NULLS LAST,
         song_id
LIMIT $k;
