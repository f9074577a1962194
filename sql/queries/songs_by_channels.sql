-- description: Songs with exactly $pitch_channels pitch channels and $noise_channels drum channels.
-- param pitch_channels = 3
-- param noise_channels = 1
-- param limit = 50
SELECT song_id, fork, author, tempo, rhythm, pitch_channels, noise_channels, bar_count, note_count
FROM songs
WHERE pitch_channels = $pitch_channels AND noise_channels = $noise_channels
ORDER BY note_count DESC, song_id
LIMIT $limit;
