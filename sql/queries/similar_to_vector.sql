-- description: catalog songs most like a song given by its vector $vector (FLOAT[256], from beepbrain.embed), its fingerprints ($notes_hash, $form_hash, $lowest_pitch from beepbrain.embed.identity) and its arrangement ($tempo, $rhythm, $beats_per_bar, $bar_count, $pitch_channels, $noise_channels, $instrument_types), other than $exclude; ranked as similar_songs ranks
-- param exclude = ''
-- param k = 10
-- param notes_hash = null
-- param form_hash = null
-- param lowest_pitch = null
-- param include_identical = false
-- param tempo = null
-- param rhythm = null
-- param beats_per_bar = null
-- param bar_count = null
-- param pitch_channels = null
-- param noise_channels = null
-- param instrument_types = null
WITH scored AS (
    SELECT s.song_id, s.author, s.source_url,
           array_cosine_similarity(e.vector, $vector::FLOAT[256]) AS score,
           coalesce((s.tempo = $tempo)::INT, 0) + coalesce((s.rhythm = $rhythm)::INT, 0)
             + coalesce((s.beats_per_bar = $beats_per_bar)::INT, 0) + coalesce((s.bar_count = $bar_count)::INT, 0)
             + coalesce((s.pitch_channels = $pitch_channels)::INT, 0)
             + coalesce((s.noise_channels = $noise_channels)::INT, 0)
             + coalesce((s.instrument_types = $instrument_types::VARCHAR[])::INT, 0) AS arrangement_match,
           coalesce(e.notes_hash = $notes_hash::VARCHAR, false) AS identical,
           coalesce(e.form_hash = $form_hash::VARCHAR, false) AS same_form,
           abs(e.lowest_pitch - $lowest_pitch::INTEGER) AS key_distance
    FROM song_embeddings e
    JOIN songs s USING (song_id)
    WHERE e.song_id <> $exclude AND e.vector IS NOT NULL
)
SELECT song_id, author, source_url, score, arrangement_match, identical, same_form AND NOT identical AS transposed
FROM scored
WHERE $include_identical OR NOT identical
ORDER BY round(score, 5) DESC, identical DESC, same_form DESC, arrangement_match DESC, key_distance ASC NULLS LAST,
         song_id
LIMIT $k;
