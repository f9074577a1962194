-- description: How many songs use each rhythm, with typical tempo.
SELECT rhythm, any_value(ticks_per_beat) AS ticks_per_beat, count(*) AS songs,
       round(median(tempo), 1) AS median_tempo
FROM songs
GROUP BY rhythm
ORDER BY rhythm;
