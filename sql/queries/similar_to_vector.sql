-- description: catalog songs most like a song given by its vector $vector (FLOAT[256], from beepbrain.embed) and arrangement ($tempo, $rhythm, $beats_per_bar, $bar_count, $pitch_channels, $noise_channels, $instrument_types), other than $exclude
-- param exclude = ''
-- param k = 10
-- param tempo = null
-- param rhythm = null
-- param beats_per_bar = null
-- param bar_count = null
-- param pitch_channels = null
-- param noise_channels = null
-- param instrument_types = null
SELECT s.song_id, s.author, s.source_url,
       array_cosine_similarity(e.vector, $vector::FLOAT[256]) AS score,
       coalesce((s.tempo = $tempo)::INT, 0) + coalesce((s.rhythm = $rhythm)::INT, 0)
         + coalesce((s.beats_per_bar = $beats_per_bar)::INT, 0) + coalesce((s.bar_count = $bar_count)::INT, 0)
         + coalesce((s.pitch_channels = $pitch_channels)::INT, 0)
         + coalesce((s.noise_channels = $noise_channels)::INT, 0)
         + coalesce((s.instrument_types = $instrument_types::VARCHAR[])::INT, 0) AS arrangement_match
FROM song_embeddings e
JOIN songs s USING (song_id)
WHERE e.song_id <> $exclude AND e.vector IS NOT NULL
ORDER BY round(score, 5) DESC, arrangement_match DESC, s.song_id
LIMIT $k;
