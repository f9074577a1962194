-- description: Songs in one rhythm (0 ÷3 triplets, 1 ÷4 standard, 2 ÷6, 3 ÷8, 4 freehand).
-- param rhythm = 1
-- param limit = 50
SELECT song_id, fork, author, tempo, rhythm, ticks_per_beat, beats_per_bar, bar_count, note_count
FROM songs
WHERE rhythm = $rhythm
ORDER BY note_count DESC, song_id
LIMIT $limit;
