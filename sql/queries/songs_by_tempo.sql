-- description: Songs whose tempo (beats per minute) lies in [$min_bpm, $max_bpm], slowest first.
-- param min_bpm = 100
-- param max_bpm = 160
-- param limit = 50
SELECT song_id, fork, author, tempo, rhythm, beats_per_bar, bar_count, pitch_channels, noise_channels,
       note_count, round(duration_seconds, 1) AS seconds
FROM songs
WHERE tempo BETWEEN $min_bpm AND $max_bpm
ORDER BY tempo, song_id
LIMIT $limit;
